package tasks

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/tasks/email"
	"github.com/salonworks/jobs/tasks/report"
	"github.com/salonworks/jobs/tasks/salon"
	"github.com/salonworks/jobs/tasks/sms"
	tasksync "github.com/salonworks/jobs/tasks/sync"
	"github.com/salonworks/jobs/tasks/upload"
)

func TestDecodeAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind string
		raw  string
		want Payload
	}{
		{name: "email", kind: "email:send", raw: `{"template":"password_reset","to":"ana@example.com","data":{"name":"Ana","reset_url":"https://a.example/r","expires_in_minutes":30}}`,
			want: &email.SendPayload{Template: "password_reset", To: "ana@example.com", Data: map[string]any{"name": "Ana", "reset_url": "https://a.example/r", "expires_in_minutes": 30.0}}},
		{name: "sms outbox row", kind: "sms:send", raw: ` {"message_id": 42} `, want: &sms.SendPayload{MessageID: 42}},
		{name: "sms inline", kind: "sms:send", raw: `{"to":"+15551234567","body":"Hi","salon_id":7,"category":"marketing","idempotency_key":"c1-u9"}`,
			want: &sms.SendPayload{To: "+15551234567", Body: "Hi", SalonID: 7, Category: "marketing", IdempotencyKey: "c1-u9"}},
		{name: "dispatch, empty object", kind: "sms:dispatch_confirmations", raw: `{}`, want: &sms.DispatchConfirmationsPayload{}},
		{name: "dispatch, empty input", kind: "sms:dispatch_reviews", raw: ``, want: &sms.DispatchReviewsPayload{}},
		{name: "dispatch, null", kind: "sms:dispatch_campaigns", raw: `null`, want: &sms.DispatchCampaignsPayload{}},
		{name: "upload", kind: "upload:process", raw: `{"upload_id":9}`, want: &upload.ProcessPayload{UploadID: 9}},
		{name: "report", kind: "report:generate", raw: `{"report_id":3}`, want: &report.GeneratePayload{ReportID: 3}},
		{name: "reset queue, whitespace only", kind: "salon:reset_queue", raw: " \n", want: &salon.ResetQueuePayload{}},
		{name: "reset queue with date", kind: "salon:reset_queue", raw: `{"date":"2025-06-01"}`, want: &salon.ResetQueuePayload{Date: "2025-06-01"}},
		{name: "daily stats, null", kind: "sync:daily_stats", raw: `null`, want: &tasksync.DailyStatsPayload{}},
		{name: "api call", kind: "sync:api_call", raw: `{"method":"POST","path":"/v1/x","body":{"a":[1,2]}}`,
			want: &tasksync.APICallPayload{Method: "POST", Path: "/v1/x", Body: json.RawMessage(`{"a":[1,2]}`)}},
		{name: "largest payload", kind: "upload:process", raw: `{"upload_id":1}` + strings.Repeat(" ", MaxPayloadBytes-15), want: &upload.ProcessPayload{UploadID: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode(tt.kind, []byte(tt.raw))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		kind    string
		raw     string
		wantErr error
		wantMsg string
	}{
		{name: "unknown kind", kind: "sms:sned", raw: `{}`, wantErr: ErrUnknownKind,
			wantMsg: `unknown kind "sms:sned" (known kinds: email:send, sms:send, sms:dispatch_confirmations, sms:dispatch_reviews, sms:dispatch_campaigns, upload:process, report:generate, salon:reset_queue, sync:daily_stats, sync:api_call)`},
		{name: "too large", kind: "upload:process", raw: `{"upload_id":1}` + strings.Repeat(" ", MaxPayloadBytes-14), wantErr: ErrTooLarge,
			wantMsg: "payload too large: upload:process payload is 65537 bytes, at most 65536 allowed"},
		{name: "unknown field", kind: "upload:process", raw: `{"upload_id":1,"priority":"high"}`, wantErr: ErrInvalidJSON,
			wantMsg: `invalid JSON for upload:process: unknown field "priority"`},
		{name: "field for another kind", kind: "sms:dispatch_reviews", raw: `{"date":"2025-01-01"}`, wantErr: ErrInvalidJSON,
			wantMsg: `invalid JSON for sms:dispatch_reviews: unknown field "date"`},
		{name: "field in other case", kind: "upload:process", raw: `{"Upload_ID":1}`, wantErr: ErrInvalidJSON,
			wantMsg: `invalid JSON for upload:process: unknown field "Upload_ID"`},
		{name: "repeated field", kind: "sms:send", raw: `{"message_id":1,"message_id":2}`, wantErr: ErrInvalidJSON,
			wantMsg: `invalid JSON for sms:send: field "message_id" appears twice`},
		{name: "trailing object", kind: "upload:process", raw: `{"upload_id":1}{"upload_id":2}`, wantErr: ErrInvalidJSON,
			wantMsg: "invalid JSON for upload:process: unexpected data after the payload object"},
		{name: "trailing garbage", kind: "upload:process", raw: `{"upload_id":1} x`, wantErr: ErrInvalidJSON},
		{name: "array", kind: "sms:dispatch_reviews", raw: `[]`, wantErr: ErrInvalidJSON,
			wantMsg: "invalid JSON for sms:dispatch_reviews: payload must be a JSON object"},
		{name: "string", kind: "upload:process", raw: `"9"`, wantErr: ErrInvalidJSON},
		{name: "truncated", kind: "upload:process", raw: `{"upload_id":1`, wantErr: ErrInvalidJSON},
		{name: "id as string", kind: "upload:process", raw: `{"upload_id":"9"}`, wantErr: ErrInvalidJSON},
		{name: "fractional id", kind: "report:generate", raw: `{"report_id":1.5}`, wantErr: ErrInvalidJSON},
		{name: "id beyond int64", kind: "report:generate", raw: `{"report_id":9223372036854775808}`, wantErr: ErrInvalidJSON},
		{name: "invalid UTF-8", kind: "sms:send", raw: "{\"body\":\"\xff\"}", wantErr: ErrInvalidJSON},
		{name: "null for a kind with required fields", kind: "upload:process", raw: `null`, wantErr: ErrInvalid,
			wantMsg: "invalid upload:process payload: upload_id: is required"},
		{name: "empty for a kind with required fields", kind: "email:send", raw: ``, wantErr: ErrInvalid,
			wantMsg: "invalid email:send payload: template: is required; to: is required; data: is required"},
		{name: "invalid values", kind: "sms:send", raw: `{"to":"+1555","body":"x","salon_id":1,"category":"marketing","idempotency_key":"k"}`, wantErr: ErrInvalid,
			wantMsg: `invalid sms:send payload: to: "+1555" is not an E.164 phone number`},
		{name: "invalid date", kind: "sync:daily_stats", raw: `{"date":"2025-02-30"}`, wantErr: ErrInvalid},
	}
	sentinels := []error{ErrUnknownKind, ErrTooLarge, ErrInvalidJSON, ErrInvalid}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Decode(tt.kind, []byte(tt.raw))
			if err == nil {
				t.Fatalf("Decode = %+v, want an error", p)
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.wantErr; got != want {
					t.Errorf("errors.Is(%q, %q) = %t, want %t", err, s, got, want)
				}
			}
			var ve *ValidationError
			if got, want := errors.As(err, &ve), tt.wantErr == ErrInvalid; got != want {
				t.Errorf("errors.As(%q, *ValidationError) = %t, want %t", err, got, want)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("error = %q\nwant    %q", err, tt.wantMsg)
			}
		})
	}
}
