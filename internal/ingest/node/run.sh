#!/usr/bin/env bash
# The ingest stream's Node test (issue 7): producer.test.mjs enqueues with
# the real ioredis client as the README shows, against a real ingest bridge
# and worker started by node_test.go on a test Redis database. Needs Redis
# on 127.0.0.1:6379 (TEST_REDIS_ADDR), Go, and Node.js 20 or later with
# npm; installs ioredis (npm ci) when it is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
	echo "run.sh: Node.js 20 or later is required (ioredis 6)" >&2
	exit 1
fi
if [ ! -d node_modules/ioredis ]; then
	npm ci --no-audit --no-fund
fi
cd "$here/../../.."
export PATH="$PATH:/usr/local/go/bin"
INGEST_NODE_TEST=1 go test -count=1 -v -timeout 5m -run '^TestNodeProducer$' ./internal/ingest/node/
