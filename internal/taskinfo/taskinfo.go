// Package taskinfo tells a handler which task attempt it is running: its ID,
// queue, retries spent and allowed, and where its result goes. asynq's
// server puts these in the handler's context itself; the worker's batch
// fetcher (internal/worker) runs tasks outside an asynq server and puts
// them here instead. Handlers and middleware read them through this
// package, which answers for both.
package taskinfo

import (
	"context"
	"io"

	"github.com/hibiken/asynq"
)

// Info is what the batch fetcher knows of a running attempt.
type Info struct {
	ID       string
	Queue    string
	Retried  int
	MaxRetry int
	// Result receives what the handler writes as the task's result; nil
	// when the task has none.
	Result io.Writer
}

type key struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

func from(ctx context.Context) (*Info, bool) {
	i, ok := ctx.Value(key{}).(*Info)
	return i, ok
}

// ID is the running task's ID.
func ID(ctx context.Context) (string, bool) {
	if i, ok := from(ctx); ok {
		return i.ID, true
	}
	return asynq.GetTaskID(ctx)
}

// Queue is the running task's queue.
func Queue(ctx context.Context) (string, bool) {
	if i, ok := from(ctx); ok {
		return i.Queue, true
	}
	return asynq.GetQueueName(ctx)
}

// RetryCount is how many retries the task has spent before this attempt.
func RetryCount(ctx context.Context) (int, bool) {
	if i, ok := from(ctx); ok {
		return i.Retried, true
	}
	return asynq.GetRetryCount(ctx)
}

// MaxRetry is how many retries the task may spend in all.
func MaxRetry(ctx context.Context) (int, bool) {
	if i, ok := from(ctx); ok {
		return i.MaxRetry, true
	}
	return asynq.GetMaxRetry(ctx)
}

// Result is where the running task's result is written (what the dashboard
// shows of it), or nil when there is nowhere to write it.
func Result(ctx context.Context, t *asynq.Task) io.Writer {
	if w := t.ResultWriter(); w != nil {
		return w
	}
	if i, ok := from(ctx); ok && i.Result != nil {
		return i.Result
	}
	return nil
}
