package worker_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
)

// A task interrupted by shutdown goes back to its queue, on its last
// attempt too: asynq archives any failed attempt whose retries are spent,
// so the interruption must not reach it as a failure.
func TestShutdownInterruptsLastAttemptWithoutArchiving(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := testQueue("shutdownq", 1, 0) // no retries: every attempt is the last
	started := make(chan struct{}, 1)
	handlers := map[string]asynq.Handler{"test:long": asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})}
	w, err := worker.New(worker.Config{
		Redis: r.Client, Queues: []queues.Queue{q}, Handlers: table(handlers),
		ShutdownTimeout: 2 * time.Second, PollInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	c := asynq.NewClientFromRedisClient(r.Client)
	info := enqueue(t, c, q, "test:long")
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("task never started")
	}
	w.Shutdown()
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	got, err := insp.GetTaskInfo(q.Name, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State == asynq.TaskStateArchived || got.State == asynq.TaskStateCompleted {
		t.Fatalf("task interrupted by shutdown is %s (last error %q); want it back in its queue", got.State, got.LastErr)
	}
	if got.Retried != 0 {
		t.Errorf("retried = %d, want 0: an interruption spends no retry", got.Retried)
	}
}
