package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/queues"
)

// BenchmarkObserve is the cost the worker adds to every attempt: routing by
// kind, the JSON log line and the metrics.
func BenchmarkObserve(b *testing.B) {
	noop := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })
	table := NewHandlers()
	HandleRaw(table, "bench:noop", noop)
	h := observe(queues.Queue{Name: "bench"}, slog.New(slog.NewJSONHandler(io.Discard, nil)), metrics.New(), func() bool { return false }, nil)(
		NewMux(table))
	task := asynq.NewTask("bench:noop", nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := h.ProcessTask(ctx, task); err != nil {
			b.Fatal(err)
		}
	}
}
