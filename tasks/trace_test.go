package tasks_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/tasks"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// WithTraceContext carries the caller's span in the task's headers, the
// W3C way, and leaves the payload exactly the kind's fields.
func TestWithTraceContext(t *testing.T) {
	t.Parallel()
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ts, _ := trace.ParseTraceState("api=1")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)

	task, err := tasksms.NewSendTask(tasksms.SendPayload{MessageID: 7}, tasks.WithTraceContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	h := task.Headers()
	if got, want := h[tasks.HeaderTraceParent], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"; got != want {
		t.Errorf("traceparent = %q, want %q", got, want)
	}
	if got := h[tasks.HeaderTraceState]; got != "api=1" {
		t.Errorf("tracestate = %q, want api=1", got)
	}
	if got := string(task.Payload()); got != `{"message_id":7}` {
		t.Errorf("payload = %s, want the kind's fields only", got)
	}

	plain, err := tasks.NewTask(tasksms.KindSend, []byte(`{"message_id":7}`), tasks.WithTraceContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Headers()) != 0 {
		t.Errorf("headers without a span = %v, want none", plain.Headers())
	}
}
