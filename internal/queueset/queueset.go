// Package queueset makes asynq list every queue of the catalogue from the
// first start of a worker, empty or not. asynq (and so asynqmon) lists the
// queues named in one Redis set, to which a queue is added only when its
// first task is enqueued; until then an operator cannot see, pause or
// inspect it.
package queueset

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/queues"
)

// Key is asynq's set of queue names (asynq/internal/base.AllQueues).
const Key = "asynq:queues"

// Register adds every queue of queues.Names() to asynq's set of queues.
// It is idempotent and cheap (one SADD), so every process that serves or
// shows the queues calls it at start: the worker before its servers
// start, the dashboard when it is built.
func Register(ctx context.Context, rdb redis.UniversalClient) error {
	names := queues.Names()
	members := make([]any, len(names))
	for i, n := range names {
		members[i] = n
	}
	if err := rdb.SAdd(ctx, Key, members...).Err(); err != nil {
		return fmt.Errorf("list the queues for asynq: %w", err)
	}
	return nil
}
