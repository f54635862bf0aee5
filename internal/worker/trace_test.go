package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/internal/logging"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/tracing/tracingtest"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// syncBuffer is a log destination safe for the worker's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A task enqueued with tasks.WithTraceContext fails its first attempt and
// succeeds on the retry: both attempts are spans of the producer's trace,
// children of its span, with the attempt number, the outcome and the retry
// delay; each attempt's log line carries its trace_id and span_id.
func TestRetriedAttemptsShareTheProducersTrace(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	tp, exp := tracingtest.NewRecorder(t)
	var logs syncBuffer
	logger, err := logging.New(&logs, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	q := testQueue("trace_retry", 1, 3)
	var calls atomic.Int32
	h := worker.NewHandlers()
	worker.Handle(h, tasksms.KindSend, func(ctx context.Context, _ *asynq.Task, _ *tasksms.SendPayload) error {
		if calls.Add(1) == 1 {
			return errors.New("twilio answered 503")
		}
		return nil
	})
	w, err := worker.New(worker.Config{
		Redis: r.Client, Queues: []queues.Queue{q}, Handlers: h, ShutdownTimeout: 5 * time.Second,
		PollInterval: 20 * time.Millisecond, Logger: logger, Metrics: metrics.New(), TracerProvider: tp,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)

	ctx, producer := tp.Tracer("producer").Start(context.Background(), "api request")
	task, err := tasks.NewTask(tasksms.KindSend, []byte(`{"message_id":7}`), asynq.Queue(q.Name), tasks.WithTraceContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	producer.End()
	if _, err := asynq.NewClientFromRedisClient(r.Client).Enqueue(task); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 15*time.Second, "two attempt spans", func() bool {
		return len(tracingtest.Find(tracingtest.Recorded(exp), "process sms:send")) == 2
	})

	pc := producer.SpanContext()
	attempts := tracingtest.Find(tracingtest.Recorded(exp), "process sms:send")
	for i, a := range attempts {
		if a.TraceID != pc.TraceID().String() || a.ParentSpanID != pc.SpanID().String() {
			t.Errorf("attempt %d: trace %s parent %s, want the producer's trace %s and span %s",
				i+1, a.TraceID, a.ParentSpanID, pc.TraceID(), pc.SpanID())
		}
	}
	first, second := attempts[0], attempts[1]
	if first.Attrs["jobs.task.attempt"] != "1" || first.Attrs["jobs.task.outcome"] != worker.OutcomeRetried {
		t.Errorf("first attempt: attempt %s outcome %s, want 1 retried", first.Attrs["jobs.task.attempt"], first.Attrs["jobs.task.outcome"])
	}
	if d := first.Attrs["jobs.task.retry_delay_s"]; d == "" || d == "0" {
		t.Errorf("first attempt has retry delay %q, want the backoff drawn", d)
	}
	if second.Attrs["jobs.task.attempt"] != "2" || second.Attrs["jobs.task.outcome"] != worker.OutcomeSucceeded {
		t.Errorf("second attempt: attempt %s outcome %s, want 2 succeeded", second.Attrs["jobs.task.attempt"], second.Attrs["jobs.task.outcome"])
	}
	if first.Attrs["jobs.task.id"] == "" || first.Attrs["jobs.task.id"] != second.Attrs["jobs.task.id"] {
		t.Errorf("task IDs %q and %q, want one task", first.Attrs["jobs.task.id"], second.Attrs["jobs.task.id"])
	}

	// The log line of each attempt names its span.
	testenv.WaitFor(t, 5*time.Second, "two task log lines", func() bool { return strings.Count(logs.String(), `"task finished"`) == 2 })
	var seen []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] != "task finished" {
			continue
		}
		if rec["trace_id"] != pc.TraceID().String() {
			t.Errorf("log line %s: trace_id %v, want %s", line, rec["trace_id"], pc.TraceID())
		}
		seen = append(seen, rec["span_id"].(string))
	}
	if len(seen) != 2 || seen[0] != first.SpanID || seen[1] != second.SpanID {
		t.Errorf("log lines' span_id %v, want the attempts' %s and %s", seen, first.SpanID, second.SpanID)
	}
}

// With tracing off (no TracerProvider) a task carrying a traceparent runs
// with nothing extracted into its context: the middleware stays out of the
// way entirely.
func TestTracingOffRecordsNothing(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := testQueue("trace_off", 1, 0)
	done := make(chan trace.SpanContext, 1)
	startWorker(t, r, []queues.Queue{q}, map[string]asynq.Handler{
		"trace:off": asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
			done <- trace.SpanContextFromContext(ctx)
			return nil
		}),
	})
	task := asynq.NewTaskWithHeaders("trace:off", nil, map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	if _, err := asynq.NewClientFromRedisClient(r.Client).Enqueue(task, q.Options()...); err != nil {
		t.Fatal(err)
	}
	select {
	case sc := <-done:
		if sc.IsValid() {
			t.Errorf("handler's context holds span context %v with tracing off, want none", sc)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("task not run")
	}
}
