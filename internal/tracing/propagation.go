package tracing

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// W3C trace context field names: the header names of a task and the field
// names of an ingest entry.
const (
	TraceParent = "traceparent"
	TraceState  = "tracestate"
)

// w3c is the only propagation format: the API and every Go producer speak
// it, and no global propagator is consulted.
var w3c propagation.TraceContext

// Extract returns ctx with the remote span context that headers carry
// (traceparent, tracestate), or ctx unchanged when they carry none or a
// malformed one.
func Extract(ctx context.Context, headers map[string]string) context.Context {
	if headers[TraceParent] == "" {
		return ctx
	}
	return w3c.Extract(ctx, propagation.MapCarrier(headers))
}

// Headers returns the traceparent (and tracestate) of ctx's span, or nil
// when ctx holds no valid span context.
func Headers(ctx context.Context) map[string]string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	h := map[string]string{}
	w3c.Inject(ctx, propagation.MapCarrier(h))
	return h
}
