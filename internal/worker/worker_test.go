package worker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
)

// testQueue is a queue with short backoff so retry tests finish quickly.
func testQueue(name string, concurrency, maxRetry int) queues.Queue {
	return queues.Queue{Name: name, Concurrency: concurrency, MaxRetry: maxRetry,
		Timeout: 30 * time.Second, BackoffBase: time.Second, BackoffCap: 2 * time.Second, Retention: time.Hour}
}

// table registers made-up kinds, which the catalogue does not know.
func table(handlers map[string]asynq.Handler) *worker.Handlers {
	h := worker.NewHandlers()
	for kind, fn := range handlers {
		worker.HandleRaw(h, kind, fn)
	}
	return h
}

func startWorker(t *testing.T, r *testenv.Redis, qs []queues.Queue, handlers map[string]asynq.Handler) *metrics.Metrics {
	t.Helper()
	return startTable(t, r, qs, table(handlers))
}

// startTable starts a worker serving qs with handlers until the test ends.
func startTable(t *testing.T, r *testenv.Redis, qs []queues.Queue, handlers *worker.Handlers) *metrics.Metrics {
	t.Helper()
	m := metrics.New()
	w, err := worker.New(worker.Config{
		Redis:           r.Client,
		Queues:          qs,
		Handlers:        handlers,
		ShutdownTimeout: 5 * time.Second,
		PollInterval:    20 * time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics:         m,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
	return m
}

func enqueue(t *testing.T, c *asynq.Client, q queues.Queue, kind string, opts ...asynq.Option) *asynq.TaskInfo {
	t.Helper()
	info, err := c.Enqueue(asynq.NewTask(kind, []byte(`{}`)), append(q.Options(), opts...)...)
	if err != nil {
		t.Fatalf("enqueue %s: %v", kind, err)
	}
	return info
}

// waitState waits for the task to reach state (testenv.WaitTask).
func waitState(t *testing.T, insp *asynq.Inspector, queue, id string, want asynq.TaskState, within time.Duration) *asynq.TaskInfo {
	t.Helper()
	return testenv.WaitTask(t, insp, queue, id, within, testenv.InState(want))
}

func TestConcurrencyIsExactPerQueue(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := testQueue("slowq", 2, 1)
	other := testQueue("otherq", 4, 1)
	var running, peak atomic.Int32
	var done sync.WaitGroup
	done.Add(20)
	slow := asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		defer done.Done()
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(40 * time.Millisecond)
		running.Add(-1)
		return nil
	})
	startWorker(t, r, []queues.Queue{q, other}, map[string]asynq.Handler{"test:slow": slow})
	c := asynq.NewClientFromRedisClient(r.Client)
	for range 20 {
		enqueue(t, c, q, "test:slow")
	}
	testenv.WaitGroup(t, &done, 30*time.Second)
	if got := peak.Load(); got != 2 {
		t.Fatalf("peak concurrency on a queue of concurrency 2 = %d, want exactly 2", got)
	}
}

// The failure policy holds on a queue served by one asynq server and on a
// wide one, whose tasks the batch fetcher and the asynq server share.
func TestFailurePolicy(t *testing.T) {
	t.Parallel()
	for _, width := range []int{1, 12} {
		t.Run(fmt.Sprintf("concurrency %d", width), func(t *testing.T) {
			t.Parallel()
			failurePolicy(t, width)
		})
	}
}

func failurePolicy(t *testing.T, width int) {
	r := testenv.NewRedis(t)
	q := testQueue("policy", max(5, width), 2)
	var failing, permanent, limited atomic.Int32
	handlers := map[string]asynq.Handler{
		"test:fail": asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			failing.Add(1)
			return errors.New("upstream unavailable")
		}),
		"test:permanent": asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			permanent.Add(1)
			return taskerr.Permanent("invalid phone number", errors.New("twilio 21211"))
		}),
		"test:ratelimited": asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			// Rate limited more times than the retry budget, then it goes.
			if limited.Add(1) <= 4 {
				return taskerr.RateLimited(time.Second, errors.New("429 too many requests"))
			}
			return nil
		}),
	}
	m := startWorker(t, r, []queues.Queue{q}, handlers)
	c := asynq.NewClientFromRedisClient(r.Client)
	insp := asynq.NewInspectorFromRedisClient(r.Client)

	fail := enqueue(t, c, q, "test:fail")
	perm := enqueue(t, c, q, "test:permanent")
	rl := enqueue(t, c, q, "test:ratelimited")
	unknown := enqueue(t, c, q, "test:nobody-handles-this")

	t.Run("failing task retried the queue's number of times then archived", func(t *testing.T) {
		info := waitState(t, insp, q.Name, fail.ID, asynq.TaskStateArchived, 30*time.Second)
		if got := failing.Load(); got != int32(q.MaxRetry+1) {
			t.Errorf("attempts = %d, want %d", got, q.MaxRetry+1)
		}
		if info.Retried != q.MaxRetry {
			t.Errorf("retried = %d, want %d", info.Retried, q.MaxRetry)
		}
	})
	t.Run("permanent error archived after one attempt with its reason", func(t *testing.T) {
		info := waitState(t, insp, q.Name, perm.ID, asynq.TaskStateArchived, 10*time.Second)
		if got := permanent.Load(); got != 1 {
			t.Errorf("attempts = %d, want 1", got)
		}
		if !strings.Contains(info.LastErr, "invalid phone number") {
			t.Errorf("last error %q does not carry the reason", info.LastErr)
		}
	})
	t.Run("unknown kind archived at once", func(t *testing.T) {
		info := waitState(t, insp, q.Name, unknown.ID, asynq.TaskStateArchived, 10*time.Second)
		if info.Retried != 0 {
			t.Errorf("retried = %d, want 0", info.Retried)
		}
		if !strings.Contains(info.LastErr, `no handler for kind "test:nobody-handles-this"`) {
			t.Errorf("last error %q", info.LastErr)
		}
	})
	t.Run("rate limit does not spend retries", func(t *testing.T) {
		info := waitState(t, insp, q.Name, rl.ID, asynq.TaskStateCompleted, 30*time.Second)
		if got := limited.Load(); got != 5 {
			t.Errorf("attempts = %d, want 5 (4 rate limited + 1 success)", got)
		}
		if info.Retried != 0 {
			t.Errorf("retried = %d, want 0: rate limits must not count", info.Retried)
		}
	})
	t.Run("rate limit on the last attempt does not archive", func(t *testing.T) {
		// Fails until its retries are spent, then is rate limited on its
		// last attempt, then succeeds: it must be continued, not archived.
		var calls atomic.Int32
		c := asynq.NewClientFromRedisClient(r.Client)
		handlersLate := map[string]asynq.Handler{"sync:daily_stats": asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			switch n := calls.Add(1); {
			case n <= 2:
				return errors.New("flaky")
			case n == 3:
				return taskerr.RateLimited(time.Second, errors.New("429"))
			default:
				return nil
			}
		})}
		q2 := testQueue("lastlimit", width, 2)
		startWorker(t, r, []queues.Queue{q2}, handlersLate)
		info := enqueue(t, c, q2, "sync:daily_stats")
		cont := waitState(t, insp, q2.Name, info.ID+":rl", asynq.TaskStateCompleted, 30*time.Second)
		if got := calls.Load(); got != 4 {
			t.Errorf("attempts = %d, want 4 (2 failures, 1 rate limited, 1 success)", got)
		}
		if cont.MaxRetry != 0 {
			t.Errorf("continuation has %d retries, want 0 (none were left)", cont.MaxRetry)
		}
		if orig, err := insp.GetTaskInfo(q2.Name, info.ID); err == nil && orig.State == asynq.TaskStateArchived {
			t.Errorf("original task archived: %s", orig.LastErr)
		}
	})
	t.Run("a continued task holding a secret is not retained", func(t *testing.T) {
		// A password reset rate limited on its last attempt is continued;
		// its reset link must leave Redis when the continuation is done, as
		// it would have with the original task. A kind without a secret
		// keeps its queue's retention.
		var resetCalls, statsCalls atomic.Int32
		limitedOnce := func(calls *atomic.Int32) asynq.Handler {
			return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
				if calls.Add(1) == 1 {
					return taskerr.RateLimited(time.Second, errors.New("429"))
				}
				return nil
			})
		}
		c := asynq.NewClientFromRedisClient(r.Client)
		q3 := testQueue("secretlimit", width, 0)
		startWorker(t, r, []queues.Queue{q3}, map[string]asynq.Handler{"email:send": limitedOnce(&resetCalls), "sync:daily_stats": limitedOnce(&statsCalls)})
		reset := asynq.NewTask("email:send", []byte(`{"template":"password_reset","to":"ana@example.com","data":{"name":"Ana","reset_url":"https://app.example.com/reset?token=s3cr3t","expires_in_minutes":30}}`))
		resetInfo, err := c.Enqueue(reset, asynq.Queue(q3.Name), asynq.MaxRetry(0), asynq.Retention(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		statsInfo, err := c.Enqueue(asynq.NewTask("sync:daily_stats", []byte(`{}`)), asynq.Queue(q3.Name), asynq.MaxRetry(0), asynq.Retention(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		// A task without retention is deleted on completion: gone, not
		// completed, is its end state.
		stats := waitState(t, insp, q3.Name, statsInfo.ID+":rl", asynq.TaskStateCompleted, 30*time.Second)
		testenv.WaitFor(t, 30*time.Second, "the reset email's continuation to run and leave", func() bool {
			if resetCalls.Load() < 2 {
				return false
			}
			info, err := insp.GetTaskInfo(q3.Name, resetInfo.ID+":rl")
			if err == nil && info.State == asynq.TaskStateCompleted {
				t.Fatalf("the reset email's continuation is kept %s after it completed, reset link and all", info.Retention)
			}
			return errors.Is(err, asynq.ErrTaskNotFound)
		})
		if stats.Retention != q3.RetentionOf("sync:daily_stats") {
			t.Errorf("statistics continuation retained %s, want the queue's %s", stats.Retention, q3.RetentionOf("sync:daily_stats"))
		}
	})
	t.Run("outcomes counted", func(t *testing.T) {
		for _, tc := range []struct {
			kind, outcome string
			want          float64
		}{
			{"test:fail", worker.OutcomeRetried, 2},
			{"test:fail", worker.OutcomeArchived, 1},
			{"test:permanent", worker.OutcomeArchived, 1},
			{"test:ratelimited", worker.OutcomeRateLimited, 4},
			{"test:ratelimited", worker.OutcomeSucceeded, 1},
		} {
			if got := counterValue(t, m, tc.kind, q.Name, tc.outcome); got != tc.want {
				t.Errorf("jobs_tasks_total{kind=%s,outcome=%s} = %v, want %v", tc.kind, tc.outcome, got, tc.want)
			}
		}
	})
}
