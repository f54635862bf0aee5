package worker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
)

// The fetch loops of a queue (its asynq servers and its batch fetcher)
// share its concurrency: together they never run more than Concurrency of
// its tasks at once, and they do run that many.
// The tasks are enqueued before the worker starts, so every loop finds work
// at once instead of sleeping through its first idle poll.
func TestConcurrencyIsExactAcrossLoops(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	for _, tt := range []struct {
		concurrency, loops int
	}{{5, 3}, {12, 0}, {50, 0}} { // 0: the rule, a server of 2 and the batch fetcher
		q := testQueue("loopsq", tt.concurrency, 1)
		q.FetchLoops = tt.loops
		if q.Loops() < 2 && q.BatchSlots() == 0 {
			t.Fatalf("concurrency %d, FetchLoops %d: %d loop, the test needs several", tt.concurrency, tt.loops, q.Loops())
		}
		n := 4 * tt.concurrency
		var running, peak atomic.Int32
		var done sync.WaitGroup
		done.Add(n)
		slow := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
			defer done.Done()
			cur := running.Add(1)
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			time.Sleep(40 * time.Millisecond)
			running.Add(-1)
			return nil
		})
		c := asynq.NewClientFromRedisClient(r.Client)
		for range n {
			enqueue(t, c, q, "test:slow")
		}
		m, stop := startStoppable(t, r, []queues.Queue{q}, map[string]asynq.Handler{"test:slow": slow})
		testenv.WaitGroup(t, &done, 30*time.Second)
		stop()
		if got := peak.Load(); got != int32(tt.concurrency) {
			t.Errorf("%d servers and %d batch slots sharing concurrency %d: peak %d tasks at once, want exactly %d", q.Loops(), q.BatchSlots(), tt.concurrency, got, tt.concurrency)
		}
		if got := counterValue(t, m, "test:slow", q.Name, worker.OutcomeSucceeded); got != float64(n) {
			t.Errorf("succeeded counted %v, want %d", got, n)
		}
	}
}

// startStoppable starts a worker and returns its metrics and its Shutdown.
func startStoppable(t *testing.T, r *testenv.Redis, qs []queues.Queue, handlers map[string]asynq.Handler) (*metrics.Metrics, func()) {
	t.Helper()
	m := metrics.New()
	w, err := worker.New(worker.Config{
		Redis: r.Client, Queues: qs, Handlers: table(handlers),
		ShutdownTimeout: 5 * time.Second, PollInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: m,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	return m, w.Shutdown
}

// Shutdown with several loops: a task that ends within the shutdown timeout
// completes, one that does not goes back to its queue with no retry spent,
// whichever loop runs it: one of three asynq servers, or the batch fetcher
// or the asynq server of a wide queue.
func TestShutdownAcrossLoops(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ concurrency, loops int }{{6, 3}, {12, 0}} {
		t.Run(fmt.Sprintf("concurrency %d, loops %d", tt.concurrency, tt.loops), func(t *testing.T) {
			t.Parallel()
			shutdownAcrossLoops(t, tt.concurrency, tt.loops)
		})
	}
}

func shutdownAcrossLoops(t *testing.T, concurrency, loops int) {
	r := testenv.NewRedis(t)
	q := testQueue("loopshutdown", concurrency, 0) // no retries: every attempt is the last
	q.FetchLoops = loops
	var started sync.WaitGroup
	started.Add(concurrency)
	handlers := map[string]asynq.Handler{
		"test:long": asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
			started.Done()
			<-ctx.Done()
			return ctx.Err()
		}),
		"test:short": asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
			started.Done()
			time.Sleep(500 * time.Millisecond)
			return nil
		}),
	}
	c := asynq.NewClientFromRedisClient(r.Client)
	var long, short []string
	for range concurrency / 2 {
		long = append(long, enqueue(t, c, q, "test:long").ID)
		short = append(short, enqueue(t, c, q, "test:short").ID)
	}
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
	testenv.WaitGroup(t, &started, 10*time.Second)
	w.Shutdown()
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	for _, id := range long {
		got, err := insp.GetTaskInfo(q.Name, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != asynq.TaskStatePending || got.Retried != 0 {
			t.Errorf("interrupted task %s: %s, retried %d (last error %q); want pending, no retry spent", id, got.State, got.Retried, got.LastErr)
		}
	}
	for _, id := range short {
		got, err := insp.GetTaskInfo(q.Name, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != asynq.TaskStateCompleted {
			t.Errorf("task %s that ends within the shutdown timeout: %s, want completed", id, got.State)
		}
	}
}
