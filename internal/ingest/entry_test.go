package ingest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/tasks"
)

const welcome = `{"template":"welcome","to":"ana@example.com","data":{"name":"Ana"}}`

func TestDecodeAccepts(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		fields      map[string]any
		want        ingest.Entry
		wantPayload string
	}{
		{name: "kind and payload",
			fields:      map[string]any{"kind": "email:send", "payload": welcome},
			want:        ingest.Entry{Kind: "email:send", Queue: "emails"},
			wantPayload: welcome},
		{name: "payload re-encoded compact",
			fields:      map[string]any{"kind": "upload:process", "payload": " {\"upload_id\": 9}\n"},
			want:        ingest.Entry{Kind: "upload:process", Queue: "uploads"},
			wantPayload: `{"upload_id":9}`},
		{name: "no payload for a kind without fields",
			fields:      map[string]any{"kind": "sms:dispatch_reviews"},
			want:        ingest.Entry{Kind: "sms:dispatch_reviews", Queue: "sms"},
			wantPayload: `{}`},
		{name: "every optional field",
			fields: map[string]any{"kind": "report:generate", "payload": `{"report_id":3}`,
				"idempotency_key": "report:3", "process_at": "2026-06-01T10:00:00+02:00", "queue": "sync"},
			want:        ingest.Entry{Kind: "report:generate", Queue: "sync", IdempotencyKey: "report:3", ProcessAt: at},
			wantPayload: `{"report_id":3}`},
		{name: "JavaScript toISOString",
			fields:      map[string]any{"kind": "sync:daily_stats", "process_at": "2026-06-01T08:00:00.000Z"},
			want:        ingest.Entry{Kind: "sync:daily_stats", Queue: "sync", ProcessAt: at},
			wantPayload: `{}`},
		{name: "bytes values",
			fields:      map[string]any{"kind": []byte("upload:process"), "payload": []byte(`{"upload_id":1}`)},
			want:        ingest.Entry{Kind: "upload:process", Queue: "uploads"},
			wantPayload: `{"upload_id":1}`},
		{name: "key of 200 characters",
			fields:      map[string]any{"kind": "upload:process", "payload": `{"upload_id":1}`, "idempotency_key": strings.Repeat("é", 200)},
			want:        ingest.Entry{Kind: "upload:process", Queue: "uploads", IdempotencyKey: strings.Repeat("é", 200)},
			wantPayload: `{"upload_id":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ingest.Decode(tt.fields)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Task == nil || got.Task.Type() != tt.want.Kind {
				t.Fatalf("task %v, want one of kind %s", got.Task, tt.want.Kind)
			}
			if diff := cmp.Diff(tt.wantPayload, string(got.Task.Payload())); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
			got.Task = nil
			if !got.ProcessAt.Equal(tt.want.ProcessAt) {
				t.Errorf("ProcessAt = %v, want %v", got.ProcessAt, tt.want.ProcessAt)
			}
			got.ProcessAt, tt.want.ProcessAt = time.Time{}, time.Time{}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

// refusals is every class of invalid entry with the reason it must carry.
// The Redis test sends the same entries through the bridge.
var refusals = []struct {
	name   string
	fields map[string]any
	is     error // a sentinel the error wraps, or nil
	want   []string
}{
	{name: "unknown kind", fields: map[string]any{"kind": "email:sned", "payload": welcome},
		is: tasks.ErrUnknownKind, want: []string{`unknown kind "email:sned"`, "known kinds: email:send"}},
	{name: "invalid JSON", fields: map[string]any{"kind": "email:send", "payload": `{"template":`},
		is: tasks.ErrInvalidJSON, want: []string{"invalid JSON for email:send"}},
	{name: "payload not an object", fields: map[string]any{"kind": "upload:process", "payload": `[1]`},
		is: tasks.ErrInvalidJSON, want: []string{"payload must be a JSON object"}},
	{name: "failed validation", fields: map[string]any{"kind": "email:send", "payload": `{"template":"welcome","data":{"name":"Ana"}}`},
		is: tasks.ErrInvalid, want: []string{"invalid email:send payload: to: is required"}},
	{name: "oversized payload", fields: map[string]any{"kind": "upload:process", "payload": `{"upload_id":1}` + strings.Repeat(" ", tasks.MaxPayloadBytes)},
		is: tasks.ErrTooLarge, want: []string{"payload too large", "at most 65536 allowed"}},
	{name: "bad process_at", fields: map[string]any{"kind": "upload:process", "payload": `{"upload_id":1}`, "process_at": "tomorrow 9am"},
		want: []string{`process_at "tomorrow 9am" is not an RFC 3339 time`}},
	{name: "process_at without zone", fields: map[string]any{"kind": "upload:process", "payload": `{"upload_id":1}`, "process_at": "2026-06-01T08:00:00"},
		want: []string{`process_at "2026-06-01T08:00:00" is not an RFC 3339 time`}},
	{name: "unknown queue", fields: map[string]any{"kind": "upload:process", "payload": `{"upload_id":1}`, "queue": "critical"},
		want: []string{`unknown queue "critical" (known queues: emails, uploads, sync, reports, sms)`}},
	{name: "missing kind", fields: map[string]any{"payload": `{"upload_id":1}`},
		want: []string{"missing field kind"}},
	{name: "empty kind", fields: map[string]any{"kind": "", "payload": `{"upload_id":1}`},
		want: []string{"field kind is empty"}},
	{name: "misspelt field", fields: map[string]any{"kind": "upload:process", "payload": `{"upload_id":1}`, "proces_at": "2026-06-01T08:00:00Z"},
		want: []string{`unknown field "proces_at" (known fields: kind, payload, idempotency_key, process_at, queue, traceparent, tracestate)`}},
	{name: "empty idempotency key", fields: map[string]any{"kind": "upload:process", "payload": `{"upload_id":1}`, "idempotency_key": ""},
		want: []string{"idempotency_key is empty: leave the field out instead"}},
	{name: "idempotency key too long", fields: map[string]any{"kind": "upload:process", "payload": `{"upload_id":1}`, "idempotency_key": strings.Repeat("k", 201)},
		want: []string{"idempotency_key is 201 characters long, at most 200 allowed"}},
	{name: "idempotency key with a newline", fields: map[string]any{"kind": "upload:process", "payload": `{"upload_id":1}`, "idempotency_key": "a\nb"},
		want: []string{"idempotency_key must not contain control characters"}},
	{name: "every problem at once", fields: map[string]any{"kind": "upload:process", "payload": `{"upload_id":-1}`, "queue": "nope", "process_at": "soon"},
		is: tasks.ErrInvalid, want: []string{`process_at "soon"`, `unknown queue "nope"`, "upload_id: must be a positive id, got -1"}},
}

func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ingest.Decode(tt.fields)
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", got)
			}
			if !errors.Is(err, ingest.ErrRejected) {
				t.Errorf("error %v does not match ErrRejected", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not match %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

func TestDecodeRefusesNonStringValues(t *testing.T) {
	t.Parallel()
	_, err := ingest.Decode(map[string]any{"kind": 5, "payload": json.RawMessage(`{}`)})
	if err == nil || !strings.Contains(err.Error(), `field "kind" is not a string`) {
		t.Fatalf("error %v", err)
	}
}

func TestTaskIDs(t *testing.T) {
	t.Parallel()
	a, b := ingest.TaskIDForKey("welcome:42"), ingest.TaskIDForKey("welcome:43")
	if a == b || len(a) != len("ingest:")+32 || !strings.HasPrefix(a, "ingest:") {
		t.Errorf("TaskIDForKey: %q, %q", a, b)
	}
	if a != ingest.TaskIDForKey("welcome:42") {
		t.Error("TaskIDForKey is not stable")
	}
	if got := ingest.TaskIDForEntry("1700000000000-3"); got != "ingest:1700000000000-3" {
		t.Errorf("TaskIDForEntry = %q", got)
	}
}
