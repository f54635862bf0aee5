package tasks

import (
	"context"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/tasks/internal/check"
)

// Task header names of the W3C trace context a task carries. The worker
// makes each attempt's span a child of the span they name.
const (
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"
)

// WithTraceContext returns an option of the task constructors (NewTask and
// every family's NewXxxTask) that carries the span context of ctx with the
// task, in its asynq headers: the worker's span for each attempt is then a
// child of the caller's span, in the same trace. Without a valid span in
// ctx it carries nothing. The payload is unchanged.
//
// Only the OpenTelemetry API is used: a producer without the SDK, or
// without tracing, loses nothing but the link.
func WithTraceContext(ctx context.Context) asynq.Option {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return check.Headers(nil)
	}
	h := check.Headers{HeaderTraceParent: "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()}
	if ts := sc.TraceState().String(); ts != "" {
		h[HeaderTraceState] = ts
	}
	return h
}

// WithTraceParent is WithTraceContext for a producer holding the W3C
// fields as strings (from an incoming request's headers): traceparent and,
// when not empty, tracestate are carried as they are. An empty traceparent
// carries nothing.
func WithTraceParent(traceparent, tracestate string) asynq.Option {
	if traceparent == "" {
		return check.Headers(nil)
	}
	h := check.Headers{HeaderTraceParent: traceparent}
	if tracestate != "" {
		h[HeaderTraceState] = tracestate
	}
	return h
}
