// Package node holds the ingest stream's test with the real Node client:
// node_test.go starts a bridge and a worker on a test Redis database and
// runs producer.test.mjs (node:test, ioredis), which enqueues exactly as
// the README shows; then it checks one task per idempotency key, each
// processed once. run.sh installs ioredis when missing and runs it.
package node
