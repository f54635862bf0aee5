package scheduler

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// startTick starts the root span of one tick: a trace of its own, which
// the tick's task carries so its attempts are children of this span.
func (r *Runner) startTick(ctx context.Context, e *Entry, tick time.Time) (context.Context, trace.Span) {
	return r.tracer.Start(ctx, "schedule tick "+e.Name, trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("jobs.schedule.entry", e.Name),
			attribute.String("jobs.task.kind", e.Kind),
			attribute.String("jobs.schedule.tick", tick.UTC().Format(time.RFC3339)),
		))
}

// endTick ends a tick's span, marking it failed when the tick is left for
// the next pass.
func endTick(span trace.Span, err error) {
	if err != nil {
		// The error may quote a Redis reply; the log line has it.
		span.SetStatus(codes.Error, "tick not enqueued")
	}
	span.End()
}
