package ingest

import (
	"testing"

	"github.com/salonworks/jobs/tasks"
)

// A well-formed traceparent goes with the task, in its headers; a
// malformed one is dropped, never a reason to refuse the entry.
func TestDecodeTraceContext(t *testing.T) {
	t.Parallel()
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		name        string
		traceparent string
		want        string
	}{
		{name: "well-formed", traceparent: tp, want: tp},
		{name: "malformed", traceparent: "00-nothex-01"},
		{name: "all-zero trace id", traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := Decode(map[string]any{"kind": "sms:send", "payload": `{"message_id":1}`, "traceparent": tt.traceparent, "tracestate": "api=1"})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := e.Task.Headers()[tasks.HeaderTraceParent]; got != tt.want {
				t.Errorf("task traceparent = %q, want %q", got, tt.want)
			}
			if tt.want != "" && e.Task.Headers()[tasks.HeaderTraceState] != "api=1" {
				t.Errorf("task tracestate = %q, want api=1", e.Task.Headers()[tasks.HeaderTraceState])
			}
			if string(e.Task.Payload()) != `{"message_id":1}` {
				t.Errorf("payload = %s, want it unchanged", e.Task.Payload())
			}
		})
	}
}
