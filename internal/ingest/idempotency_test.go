package ingest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/upload"
)

// recorder is a handler that remembers every task it ran.
type recorder struct {
	mu   sync.Mutex
	runs map[string]int // task ID → runs
}

func (rec *recorder) ProcessTask(ctx context.Context, t *asynq.Task) error {
	id, _ := taskinfo.ID(ctx)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.runs == nil {
		rec.runs = map[string]int{}
	}
	rec.runs[id]++
	return nil
}

func (rec *recorder) count(id string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.runs[id]
}

func (rec *recorder) total() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, c := range rec.runs {
		n += c
	}
	return n
}

func TestDuplicateKeyMakesOneTask(t *testing.T) {
	t.Parallel()
	r, insp := redisFor(t)
	rec := &recorder{}
	handlers := worker.NewHandlers()
	worker.Handle(handlers, upload.KindProcess, func(ctx context.Context, t *asynq.Task, _ *upload.ProcessPayload) error {
		return rec.ProcessTask(ctx, t)
	})
	w, err := worker.New(worker.Config{
		Redis: r.Client, Queues: queues.All(), Handlers: handlers,
		ShutdownTimeout: 5 * time.Second, PollInterval: 20 * time.Millisecond,
		Logger: testLogger(), Metrics: metrics.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
	b, reg := newBridge(t, r.Client, nil)
	startBridge(t, b)
	id := ingest.TaskIDForKey("upload:77")
	send := func(queue string) {
		pairs := []string{"kind", "upload:process", "payload", `{"upload_id":77}`, "idempotency_key", "upload:77"}
		if queue != "" {
			pairs = append(pairs, "queue", queue)
		}
		xadd(t, r.Client, pairs...)
	}

	t.Run("resent in one burst", func(t *testing.T) {
		send("")
		send("")
		// Entries read in different batches are processed side by side, so
		// which of two entries with one key comes first is settled only
		// within a batch: the entry naming another queue comes after the
		// first two have settled, so the task is the uploads one.
		waitSettled(t, b, 10*time.Second)
		send("sync") // another queue: a task ID is unique per queue only
		waitSettled(t, b, 10*time.Second)
		testenv.WaitFor(t, 10*time.Second, "the task to run", func() bool { return rec.count(id) == 1 })
		if got := counter(t, reg, ingest.OutcomeDuplicate); got != 2 {
			t.Errorf("duplicates = %v, want 2", got)
		}
	})
	t.Run("resent after the task completed", func(t *testing.T) {
		// The handler has run; asynq records the task completed just after.
		testenv.WaitFor(t, 10*time.Second, "the task to be completed", func() bool {
			info, err := insp.GetTaskInfo(queues.Uploads, id)
			return err == nil && info.State == asynq.TaskStateCompleted
		})
		send("")
		waitSettled(t, b, 10*time.Second)
		if got := counter(t, reg, ingest.OutcomeDuplicate); got != 3 {
			t.Errorf("duplicates = %v, want 3", got)
		}
	})
	t.Run("resent after the completed task expired", func(t *testing.T) {
		if err := insp.DeleteTask(queues.Uploads, id); err != nil {
			t.Fatal(err)
		}
		send("")
		send("reports")
		waitSettled(t, b, 10*time.Second)
		if got := counter(t, reg, ingest.OutcomeDuplicate); got != 5 {
			t.Errorf("duplicates = %v, want 5", got)
		}
		for _, q := range queues.Names() {
			if n := len(queueTasks(t, insp, q)); n != 0 {
				t.Errorf("queue %s holds %d tasks, want none", q, n)
			}
		}
	})
	time.Sleep(200 * time.Millisecond) // a wrongly enqueued task would run by now
	if got := rec.total(); got != 1 {
		t.Errorf("the worker ran %d tasks, want 1", got)
	}
	if got := counter(t, reg, ingest.OutcomeEnqueued); got != 1 {
		t.Errorf("enqueued = %v, want 1", got)
	}
	ttl, err := r.Client.TTL(context.Background(), ingest.IdempotencyKeyPrefix+id[len("ingest:"):]).Result()
	if err != nil || ttl < ingest.DefaultIdempotencyTTL-time.Minute || ttl > ingest.DefaultIdempotencyTTL {
		t.Errorf("key TTL = %s, %v; want about %s", ttl, err, ingest.DefaultIdempotencyTTL)
	}
}

func TestDeadEntryDoesNotTakeItsKey(t *testing.T) {
	t.Parallel()
	r, insp := redisFor(t)
	b, reg := newBridge(t, r.Client, nil)
	startBridge(t, b)
	xadd(t, r.Client, "kind", "report:generate", "payload", `{"report_id":"7"}`, "idempotency_key", "report:7")
	waitSettled(t, b, 10*time.Second)
	xadd(t, r.Client, "kind", "report:generate", "payload", `{"report_id":7}`, "idempotency_key", "report:7")
	waitSettled(t, b, 10*time.Second)
	if _, err := insp.GetTaskInfo(queues.Reports, ingest.TaskIDForKey("report:7")); err != nil {
		t.Fatalf("the corrected resend made no task: %v", err)
	}
	if dead, enq := counter(t, reg, ingest.OutcomeDead), counter(t, reg, ingest.OutcomeEnqueued); dead != 1 || enq != 1 {
		t.Errorf("dead %v, enqueued %v; want 1 and 1", dead, enq)
	}
}
