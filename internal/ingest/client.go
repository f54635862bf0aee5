package ingest

import (
	"fmt"

	"github.com/redis/go-redis/v9"
)

// enqueueClient returns the Redis client the bridge's asynq client
// enqueues through, and what releases it.
//
// asynq has no batch API: each Enqueue is one EVALSHA and, alone, one round
// trip. Over a *redis.Client the bridge enqueues through go-redis's
// autopipeliner instead, which gathers the commands of the concurrent
// enqueues of a batch into pipelines on a connection pool of its own
// (PipelinePoolSize), so a batch of 500 costs a few round trips and few
// syscalls, and the worker's pool is left alone. It measured about 1.5 times
// the plain client's rate in BenchmarkIngest. The autopipeliner is marked
// experimental in go-redis; other UniversalClients (cluster, ring) enqueue
// directly.
func enqueueClient(rdb redis.UniversalClient) (redis.UniversalClient, func() error, error) {
	c, ok := rdb.(*redis.Client)
	if !ok {
		return rdb, nil, nil
	}
	ap, err := c.AutoPipeline()
	if err != nil {
		return nil, nil, fmt.Errorf("ingest: start autopipeline: %w", err)
	}
	return ap, ap.Close, nil
}
