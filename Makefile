# The two commands: `make dev` runs it, `make test` tests it.
# Both start Redis and PostgreSQL on 127.0.0.1 first (installing them on a
# fresh Debian machine); see deploy/local/services.sh.

SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GOFLAGS_BUILD := -trimpath -ldflags "-s -w -X github.com/salonworks/jobs/internal/version.Version=$(VERSION)"
BIN := bin/jobs
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Local development talks to the role and databases services.sh creates.
export DATABASE_URL ?= postgres://jobs:jobs@127.0.0.1:5432/jobs?sslmode=disable
export TEST_DATABASE_URL ?= postgres://jobs:jobs@127.0.0.1:5432/jobs_test?sslmode=disable
export REDIS_URL ?= redis://127.0.0.1:6379/0
# The dashboard's development login, dev / dev (a bcrypt hash, as
# ADMIN_USERS requires; $$ is a literal $ for make). Never used outside `make dev`.
DEV_ADMIN_USERS ?= dev:admin:$$2a$$12$$1y9kFaK/SDVlMCXh5q8R7e7WM/ZDby8f7jvw6OP26Fl0lFBj4UBtC

.PHONY: dev test build services lint bench chaos schema clean cdk

## dev: start Redis and Postgres, migrate, load the demo salon, run `jobs dev` on :8080
## (dashboard at http://localhost:8080/admin/queues, user dev, password dev)
dev: services build
	ADMIN_USERS='$(DEV_ADMIN_USERS)' $(BIN) dev --seed

## test: vet, staticcheck and every test (real Redis and Postgres) with the race detector;
## the chaos suite (internal/chaos) runs in its short form, 300 recipients a scenario
test: services
	go vet ./...
	go run $(STATICCHECK) ./...
	go test -race -count=1 -timeout 20m ./...
	bash internal/admin/browser/run.sh
	bash internal/ingest/node/run.sh
	bash deploy/cdk/test.sh

## build: the static binary the Dockerfile builds, into bin/jobs
build:
	CGO_ENABLED=0 go build $(GOFLAGS_BUILD) -o $(BIN) ./cmd/jobs

services:
	@bash deploy/local/services.sh

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	go vet ./...
	go run $(STATICCHECK) ./...

# The BullMQ side of `make bench`: a folder beside the repository (never
# copied into it), installed with npm ci on first use.
BULLMQ_DIR ?= ../shared/bench/bullmq

## bench: BullMQ, plain asynq and `jobs worker` on the same Redis, the worker's idle
## Redis calls and retained memory; see docs/benchmarks.md
bench: services
	@if [ ! -f '$(BULLMQ_DIR)/bench.mjs' ]; then \
		echo "bench: BullMQ skipped: $(BULLMQ_DIR) not found (set BULLMQ_DIR to the BullMQ bench folder)"; \
	elif ! command -v npm >/dev/null; then \
		echo "bench: BullMQ skipped: Node is not installed (make test installs it)"; \
	elif [ ! -d '$(BULLMQ_DIR)/node_modules' ]; then \
		echo "bench: installing BullMQ in $(BULLMQ_DIR) (npm ci)"; \
		(cd '$(BULLMQ_DIR)' && npm ci --no-audit --no-fund) || echo "bench: npm ci failed: BullMQ will be skipped"; \
	fi
	go test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 60m ./internal/bench/ \
		-args -tasks 50000 -concurrency 50 -rounds 3 -bullmq '$(abspath $(BULLMQ_DIR))'
	go test -run '^$$' -bench Ingest -benchtime 1x ./internal/ingest/ -args -ingest-rounds 5

## chaos: the SMS recovery chaos suite at full size, 3,000 recipients a scenario; see docs/benchmarks.md
chaos: services
	go test -count=1 -v -timeout 30m -run TestChaos ./internal/chaos/ -args -chaos.full

## schema: regenerate tasks/schema/*.json from the payload structs
schema:
	go generate ./tasks/schema

## cdk: test the CDK app (deploy/cdk) and the drift guard against its template
cdk:
	bash deploy/cdk/test.sh

clean:
	rm -rf bin
