package ingest

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/internal/tracing"
)

// startEnqueue starts the span of one entry's enqueue: a producer span in
// the trace of the entry's traceparent. The task keeps the entry's own
// traceparent, so its attempts are children of the producer's span,
// siblings of this one. An entry without a traceparent gets no span: the
// bridge joins the API's traces and starts none of its own, which at tens
// of thousands of entries a second would be most of the spans exported.
func (b *Bridge) startEnqueue(ctx context.Context, it *item) (context.Context, trace.Span) {
	if it.entry.Trace == nil || b.tracingOff {
		return ctx, noopSpan
	}
	ctx = tracing.Extract(ctx, it.entry.Trace)
	return b.tracer.Start(ctx, "ingest enqueue "+it.entry.Kind, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "asynq"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.destination.name", it.entry.Queue),
			attribute.String("jobs.task.kind", it.entry.Kind),
			attribute.String("jobs.task.queue", it.entry.Queue),
			attribute.String("jobs.task.id", it.taskID),
			attribute.String("jobs.ingest.entry_id", it.msg.ID),
		))
}

// noopSpan stands for the span of an entry that is not traced.
var noopSpan = trace.SpanFromContext(context.Background())

// endEnqueue records the entry's outcome and ends its span.
func endEnqueue(span trace.Span, it *item) {
	if !span.IsRecording() {
		span.End()
		return
	}
	span.SetAttributes(attribute.String("jobs.ingest.outcome", it.outcome))
	if it.outcome == OutcomeFailed {
		// The error may quote a Redis reply; the status names the class.
		span.SetStatus(codes.Error, "enqueue failed")
	}
	span.End()
}
