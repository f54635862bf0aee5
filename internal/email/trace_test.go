package email

import (
	"context"
	"testing"

	"github.com/salonworks/jobs/internal/tracing/tracingtest"
)

// A SendEmail made under a traced context is a client span of that trace,
// named by the operation, and none of its attributes holds an address, the
// subject or the body.
func TestSESCallSpanHoldsNoPersonalData(t *testing.T) {
	t.Parallel()
	fake := newFakeSES(t)
	tp, exp := tracingtest.NewRecorder(t)
	ses, err := NewSES(context.Background(), SESConfig{Endpoint: fake.srv.URL, AWS: testAWS(), TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := tp.Tracer("test").Start(context.Background(), "process email:send")
	m := Message{ID: 42, Template: "notification", From: "Salon <no-reply@salon.example>", To: "ana.perez@example.com",
		Subject: "Your booking on Friday", HTML: "<p>See you, Ana</p>", Text: "See you, Ana"}
	if _, err := ses.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	parent.End()

	spans := tracingtest.Recorded(exp)
	calls := tracingtest.Find(spans, "ses SendEmail")
	if len(calls) != 1 {
		t.Fatalf("%d SES spans, want 1: %+v", len(calls), spans)
	}
	call := calls[0]
	if call.TraceID != parent.SpanContext().TraceID().String() || call.ParentSpanID != parent.SpanContext().SpanID().String() {
		t.Errorf("SES span in trace %s under %s, want the caller's span", call.TraceID, call.ParentSpanID)
	}
	if got := call.Attrs["http.response.status_code"]; got != "200" {
		t.Errorf("status = %q, want 200", got)
	}
	tracingtest.CheckNoPersonalData(t, spans, nil, "ana.perez", "no-reply", "Friday", "See you")
}
