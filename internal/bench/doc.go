// Package bench measures the worker against plain asynq on the same Redis in
// the same run: throughput of no-op tasks and pickup latency on idle queues.
// Run it with `make bench`; the figures go into docs/benchmarks.md.
package bench
