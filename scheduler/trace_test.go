package scheduler

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/tracing/tracingtest"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/salon"
)

// A tick is the root span of a trace of its own, and the attempt of the
// task it enqueued, run by a real worker, is that span's child.
func TestTickTaskIsAChildOfTheTickSpan(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	tp, exp := tracingtest.NewRecorder(t)
	entries, err := Parse([]byte(`replace_defaults: true
entries:
  - {name: resets, cron: '0 8 * * *', timezone: UTC, kind: salon:reset_queue, payload: {date: '2026-03-04'}}
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 8, 0, 1, 0, time.UTC)
	run, err := New(Config{Entries: entries, Redis: r.Client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock: clock.Fixed(now), TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC)
	if err := run.enqueue(t.Context(), &run.cfg.Entries[0], tick, now); err != nil {
		t.Fatal(err)
	}

	h := worker.NewHandlers()
	worker.Handle(h, salon.KindResetQueue, func(context.Context, *asynq.Task, *salon.ResetQueuePayload) error { return nil })
	w, err := worker.New(worker.Config{Redis: r.Client, Queues: []queues.Queue{queues.MustLookup(queues.Sync)}, Handlers: h,
		PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(),
		TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
	testenv.WaitFor(t, 10*time.Second, "the attempt's span", func() bool {
		return len(tracingtest.Find(tracingtest.Recorded(exp), "process salon:reset_queue")) == 1
	})

	spans := tracingtest.Recorded(exp)
	ticks := tracingtest.Find(spans, "schedule tick resets")
	if len(ticks) != 1 {
		t.Fatalf("%d tick spans, want 1: %+v", len(ticks), spans)
	}
	tickSpan, attempt := ticks[0], tracingtest.Find(spans, "process salon:reset_queue")[0]
	if tickSpan.ParentSpanID != "" {
		t.Errorf("tick span has parent %s, want a root span", tickSpan.ParentSpanID)
	}
	if attempt.TraceID != tickSpan.TraceID || attempt.ParentSpanID != tickSpan.SpanID {
		t.Errorf("attempt in trace %s under %s, want the tick's trace %s under its span %s",
			attempt.TraceID, attempt.ParentSpanID, tickSpan.TraceID, tickSpan.SpanID)
	}
	if got, want := tickSpan.Attrs["jobs.task.id"], "schedule:resets:"+"1772611200"; got != want {
		t.Errorf("tick span task id = %q, want %q", got, want)
	}
}
