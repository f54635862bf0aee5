package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/queues"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
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

// BenchmarkObserveTracing is BenchmarkObserve with tracing off (no
// provider, as when no OTEL exporter is configured) and on (every attempt
// sampled and recorded), for a task carrying a traceparent.
func BenchmarkObserveTracing(b *testing.B) {
	noop := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })
	table := NewHandlers()
	HandleRaw(table, "bench:noop", noop)
	task := asynq.NewTaskWithHeaders("bench:noop", nil, map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	on := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter())))
	b.Cleanup(func() { _ = on.Shutdown(context.Background()) })
	for _, bc := range []struct {
		name string
		tp   trace.TracerProvider
	}{{"off", nil}, {"on", on}} {
		b.Run(bc.name, func(b *testing.B) {
			h := observe(queues.Queue{Name: "bench"}, slog.New(slog.NewJSONHandler(io.Discard, nil)), metrics.New(), func() bool { return false }, bc.tp)(
				NewMux(table))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := h.ProcessTask(ctx, task); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
