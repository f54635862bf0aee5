#!/usr/bin/env bash
# Makes sure Redis, PostgreSQL and Node.js are installed, running on 127.0.0.1, and
# that the local role and databases jobs uses exist. Used by `make dev` and
# `make test`; safe to run again and again. On a fresh Debian machine it
# installs the two servers with apt-get (as root, or through sudo).
set -euo pipefail

PGROLE=${PGROLE:-jobs}
PGPASS=${PGPASS:-jobs}
DATABASES=${DATABASES:-"jobs jobs_test"}

log() { printf 'services: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
# Node.js runs the SES emulator and the browser test (playwright-core needs 20+).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Redis: nothing kept on disk; a test or a dev loop needs no persistence.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
	log "starting redis on 127.0.0.1:6379"
	as_root mkdir -p /var/lib/redis /var/log/redis
	as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
		--dir /var/lib/redis --logfile /var/log/redis/jobs-local.log
	for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -h 127.0.0.1 ping >/dev/null || { log "redis did not start"; exit 1; }

# PostgreSQL: the cluster Debian's package created.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
	version=$(ls /etc/postgresql | sort -n | tail -1)
	log "starting postgresql $version on 127.0.0.1:5432"
	as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
	for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { log "postgresql did not start"; exit 1; }

# Run SQL as the postgres superuser: over TCP where local logins are
# trusted, else through the server's own Unix account (peer auth).
psql_admin() {
	if psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
		psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
	elif [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- psql -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
	else
		sudo -u postgres psql -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
	fi
}

# A local role with a password works whatever pg_hba.conf says for
# 127.0.0.1 (trust or scram-sha-256). It is a superuser because the tests
# create schemas, databases and roles; it exists on developer machines only.
if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$PGROLE'")" != 1 ]; then
	log "creating role $PGROLE"
	psql_admin -c "create role \"$PGROLE\" login superuser password '$PGPASS'"
fi
for db in $DATABASES; do
	if [ "$(psql_admin -c "select 1 from pg_database where datname = '$db'")" != 1 ]; then
		log "creating database $db"
		psql_admin -c "create database \"$db\" owner \"$PGROLE\"" || true
	fi
done
log "redis and postgresql ready"
