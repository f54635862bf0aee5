package sms

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/tasks/internal/checktest"
)

func TestSendPayloadValidate(t *testing.T) {
	t.Parallel()
	inline := func(edit func(*SendPayload)) SendPayload {
		p := SendPayload{To: "+15551234567", Body: "See you at 10:00", SalonID: 7, Category: CategoryTransactional, IdempotencyKey: "appt-42-confirm"}
		edit(&p)
		return p
	}
	tests := []struct {
		name string
		p    SendPayload
		want []string
	}{
		{name: "outbox row", p: SendPayload{MessageID: 42}},
		{name: "inline", p: inline(func(*SendPayload) {})},
		{name: "inline marketing", p: inline(func(p *SendPayload) { p.Category = CategoryMarketing })},
		{name: "body of 1600 two-byte characters", p: inline(func(p *SendPayload) { p.Body = strings.Repeat("é", 1600) })},
		{name: "shortest E.164", p: inline(func(p *SendPayload) { p.To = "+12345678" })},
		{name: "longest E.164", p: inline(func(p *SendPayload) { p.To = "+123456789012345" })},
		{name: "empty", p: SendPayload{}, want: []string{"message_id: is required, or the inline form: to, body, salon_id, category, idempotency_key"}},
		{name: "negative message id", p: SendPayload{MessageID: -1}, want: []string{"message_id: must be a positive id, got -1"}},
		{name: "both forms", p: SendPayload{MessageID: 1, To: "+15551234567", Category: CategoryMarketing},
			want: []string{"message_id: cannot be combined with the inline form (to, category given)"}},
		{name: "short phone number", p: inline(func(p *SendPayload) { p.To = "+1555" }), want: []string{`to: "+1555" is not an E.164 phone number`}},
		{name: "phone number without plus", p: inline(func(p *SendPayload) { p.To = "15551234567" }), want: []string{`to: "15551234567" is not an E.164 phone number`}},
		{name: "phone number with spaces", p: inline(func(p *SendPayload) { p.To = "+1 555 123 4567" }), want: []string{`to: "+1 555 123 4567" is not an E.164 phone number`}},
		{name: "phone number starting with 0", p: inline(func(p *SendPayload) { p.To = "+0155512345" }), want: []string{`to: "+0155512345" is not an E.164 phone number`}},
		{name: "phone number too long", p: inline(func(p *SendPayload) { p.To = "+1234567890123456" }), want: []string{`to: "+1234567890123456" is not an E.164 phone number`}},
		{name: "phone number with trailing newline", p: inline(func(p *SendPayload) { p.To = "+15551234567\n" }), want: []string{`to: "+15551234567\n" is not an E.164 phone number`}},
		{name: "body too long", p: inline(func(p *SendPayload) { p.Body = strings.Repeat("é", 1601) }), want: []string{"body: is 1601 characters long, at most 1600 allowed"}},
		{name: "body with NUL", p: inline(func(p *SendPayload) { p.Body = "a\x00b" }), want: []string{"body: must not contain NUL characters"}},
		{name: "body not UTF-8", p: inline(func(p *SendPayload) { p.Body = "a\xffb" }), want: []string{"body: is not valid UTF-8"}},
		{name: "unknown category and negative salon", p: inline(func(p *SendPayload) { p.Category = "promo"; p.SalonID = -4 }),
			want: []string{"salon_id: must be a positive id, got -4", `category: "promo" is not "transactional" or "marketing"`}},
		{name: "inline form missing all but to", p: SendPayload{To: "+15551234567"},
			want: []string{"body: is required in the inline form", "salon_id: is required", "category: is required in the inline form", "idempotency_key: is required"}},
		{name: "idempotency key too long", p: inline(func(p *SendPayload) { p.IdempotencyKey = strings.Repeat("k", 201) }),
			want: []string{"idempotency_key: is 201 characters long, at most 200 allowed"}},
		{name: "idempotency key with a control character", p: inline(func(p *SendPayload) { p.IdempotencyKey = "a\tb" }),
			want: []string{"idempotency_key: must not contain control characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := checktest.Problems(t, KindSend, tt.p.Validate())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewSendTaskPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    SendPayload
		want string
	}{
		{name: "outbox row carries only its id", p: SendPayload{MessageID: 42}, want: `{"message_id":42}`},
		{name: "inline keeps & and < as they are", p: SendPayload{To: "+15551234567", Body: "Tom & Jerry <3", SalonID: 7, Category: CategoryMarketing, IdempotencyKey: "k"},
			want: `{"to":"+15551234567","body":"Tom & Jerry <3","salon_id":7,"category":"marketing","idempotency_key":"k"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			task, err := NewSendTask(tt.p)
			if err != nil {
				t.Fatalf("NewSendTask: %v", err)
			}
			if task.Type() != "sms:send" {
				t.Errorf("Type() = %q, want sms:send", task.Type())
			}
			if diff := cmp.Diff(tt.want, string(task.Payload())); diff != "" {
				t.Errorf("Payload() (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := NewSendTask(SendPayload{To: "+1555"}); err == nil {
		t.Error("NewSendTask accepted an invalid payload")
	}
}

func TestDispatchTasks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		validate error
		newTask  func() (string, []byte, error)
		wantKind string
	}{
		{name: "confirmations", validate: DispatchConfirmationsPayload{}.Validate(), wantKind: "sms:dispatch_confirmations",
			newTask: func() (string, []byte, error) {
				task, err := NewDispatchConfirmationsTask(DispatchConfirmationsPayload{})
				if err != nil {
					return "", nil, err
				}
				return task.Type(), task.Payload(), nil
			}},
		{name: "reviews", validate: DispatchReviewsPayload{}.Validate(), wantKind: "sms:dispatch_reviews",
			newTask: func() (string, []byte, error) {
				task, err := NewDispatchReviewsTask(DispatchReviewsPayload{})
				if err != nil {
					return "", nil, err
				}
				return task.Type(), task.Payload(), nil
			}},
		{name: "campaigns", validate: DispatchCampaignsPayload{}.Validate(), wantKind: "sms:dispatch_campaigns",
			newTask: func() (string, []byte, error) {
				task, err := NewDispatchCampaignsTask(DispatchCampaignsPayload{})
				if err != nil {
					return "", nil, err
				}
				return task.Type(), task.Payload(), nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.validate != nil {
				t.Errorf("Validate() = %v, want nil", tt.validate)
			}
			kind, payload, err := tt.newTask()
			if err != nil {
				t.Fatalf("new task: %v", err)
			}
			if kind != tt.wantKind || string(payload) != "{}" {
				t.Errorf("task = %s %s, want %s {}", kind, payload, tt.wantKind)
			}
		})
	}
}
