package email

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/tasks/internal/checktest"
)

func TestSendPayloadValidate(t *testing.T) {
	t.Parallel()
	welcome := func(data map[string]any) SendPayload {
		return SendPayload{Template: TemplateWelcome, To: "ana@example.com", Data: data}
	}
	reset := func(data map[string]any) SendPayload {
		return SendPayload{Template: TemplatePasswordReset, To: "ana@example.com", Data: data}
	}
	note := func(data map[string]any) SendPayload {
		return SendPayload{Template: TemplateNotification, To: "ana@example.com", Data: data}
	}
	resetURL := "https://app.salonworks.dev/reset?t=abc"
	tests := []struct {
		name string
		p    SendPayload
		want []string
	}{
		{name: "welcome", p: welcome(map[string]any{"name": "Ana"})},
		{name: "password reset, minutes decoded from JSON", p: reset(map[string]any{"name": "Ana", "reset_url": resetURL, "expires_in_minutes": 30.0})},
		{name: "password reset, minutes from Go", p: reset(map[string]any{"name": "", "reset_url": "http://localhost:3000/reset", "expires_in_minutes": 30})},
		{name: "notification", p: note(map[string]any{"subject": "Your booking", "message": "See you soon"})},
		{name: "notification with link", p: note(map[string]any{"subject": "s", "message": "m", "link_url": "https://a.example/x", "link_text": "Open"})},
		{name: "idempotency key of 200 characters", p: SendPayload{Template: TemplateWelcome, To: "a@b.co", Data: map[string]any{"name": "A"}, IdempotencyKey: strings.Repeat("é", 200)}},
		{name: "empty", p: SendPayload{}, want: []string{"template: is required", "to: is required", "data: is required"}},
		{name: "unknown template", p: SendPayload{Template: "promo", To: "ana@example.com", Data: map[string]any{"x": 1}},
			want: []string{`template: "promo" is not one of welcome, password_reset, notification`}},
		{name: "display name", p: SendPayload{Template: TemplateWelcome, To: "Ana <ana@example.com>", Data: map[string]any{"name": "Ana"}},
			want: []string{`to: "Ana <ana@example.com>" must be one bare address, without a display name or angle brackets`}},
		{name: "angle brackets", p: SendPayload{Template: TemplateWelcome, To: "<ana@example.com>", Data: map[string]any{"name": "Ana"}},
			want: []string{`to: "<ana@example.com>" must be one bare address, without a display name or angle brackets`}},
		{name: "header injection", p: SendPayload{Template: TemplateWelcome, To: "ana@example.com\r\nBcc: all@example.com", Data: map[string]any{"name": "Ana"}},
			want: []string{`to: "ana@example.com\r\nBcc: all@example.com" must not contain line breaks`}},
		{name: "two recipients", p: SendPayload{Template: TemplateWelcome, To: "a@example.com, b@example.com", Data: map[string]any{"name": "Ana"}},
			want: []string{`to: "a@example.com, b@example.com" is not an email address`}},
		{name: "not an address", p: SendPayload{Template: TemplateWelcome, To: "ana", Data: map[string]any{"name": "Ana"}},
			want: []string{`to: "ana" is not an email address`}},
		{name: "welcome without name", p: welcome(map[string]any{}), want: []string{`data.name: is required by template "welcome"`}},
		{name: "welcome with blank name", p: welcome(map[string]any{"name": "  "}), want: []string{"data.name: must not be empty"}},
		{name: "welcome with a number for name", p: welcome(map[string]any{"name": 5.0}), want: []string{"data.name: must be a string, got float64"}},
		{name: "unknown data keys", p: welcome(map[string]any{"name": "Ana", "zeta": 1, "alpha": "x"}),
			want: []string{`data.alpha: is not a field of template "welcome"`, `data.zeta: is not a field of template "welcome"`}},
		{name: "password reset, every field wrong", p: reset(map[string]any{"name": 1, "reset_url": "javascript:alert(1)", "expires_in_minutes": 1.5}),
			want: []string{"data.name: must be a string, got int", `data.reset_url: "javascript:alert(1)" is not an absolute http(s) URL`, "data.expires_in_minutes: 1.5 is not a positive integer"}},
		{name: "password reset, relative URL and zero minutes", p: reset(map[string]any{"name": "A", "reset_url": "/reset", "expires_in_minutes": 0.0}),
			want: []string{`data.reset_url: "/reset" is not an absolute http(s) URL`, "data.expires_in_minutes: 0 is not a positive integer"}},
		{name: "password reset, URL with user info and minutes as text", p: reset(map[string]any{"name": "A", "reset_url": "https://app@evil.example/", "expires_in_minutes": "30"}),
			want: []string{`data.reset_url: "https://app@evil.example/" must not carry user info`, "data.expires_in_minutes: must be a positive integer, got string"}},
		{name: "password reset, missing everything", p: reset(map[string]any{}),
			want: []string{`data.name: is required by template "password_reset"`, `data.reset_url: is required by template "password_reset"`, `data.expires_in_minutes: is required by template "password_reset"`}},
		{name: "notification subject with a line break", p: note(map[string]any{"subject": "Hi\nBcc: x", "message": "m"}),
			want: []string{"data.subject: must not contain line breaks"}},
		{name: "notification subject too long", p: note(map[string]any{"subject": strings.Repeat("s", 201), "message": "m"}),
			want: []string{"data.subject: is 201 characters long, at most 200 allowed"}},
		{name: "notification link text without URL", p: note(map[string]any{"subject": "s", "message": "", "link_text": "Open"}),
			want: []string{"data.message: must not be empty", "data.link_text: needs data.link_url"}},
		{name: "notification link URL not http", p: note(map[string]any{"subject": "s", "message": "m", "link_url": "ftp://files.example/x"}),
			want: []string{`data.link_url: "ftp://files.example/x" is not an absolute http(s) URL`}},
		{name: "idempotency key too long", p: SendPayload{Template: TemplateWelcome, To: "a@b.co", Data: map[string]any{"name": "A"}, IdempotencyKey: strings.Repeat("k", 201)},
			want: []string{"idempotency_key: is 201 characters long, at most 200 allowed"}},
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

func TestNewSendTask(t *testing.T) {
	t.Parallel()
	p := SendPayload{Template: TemplateNotification, To: "ana@example.com", Data: map[string]any{"subject": "A & B", "message": "<b>", "link_url": "https://a.example/?x=1&y=2"}}
	task, err := NewSendTask(p)
	if err != nil {
		t.Fatalf("NewSendTask: %v", err)
	}
	if task.Type() != "email:send" {
		t.Errorf("Type() = %q, want email:send", task.Type())
	}
	want := `{"template":"notification","to":"ana@example.com","data":{"link_url":"https://a.example/?x=1&y=2","message":"<b>","subject":"A & B"}}`
	if diff := cmp.Diff(want, string(task.Payload())); diff != "" {
		t.Errorf("Payload() (-want +got):\n%s", diff)
	}
	if _, err := NewSendTask(SendPayload{Template: TemplateWelcome}); err == nil {
		t.Error("NewSendTask accepted an invalid payload")
	}
}

func TestTemplatesIsACopy(t *testing.T) {
	t.Parallel()
	ts := Templates()
	ts[2].Fields[3].Requires[0] = "changed"
	ts[0].Fields[0].Required = false
	n, _ := LookupTemplate(TemplateNotification)
	w, _ := LookupTemplate(TemplateWelcome)
	if n.Fields[3].Requires[0] != "link_url" || !w.Fields[0].Required {
		t.Error("changing the result of Templates changed the templates")
	}
	if diff := cmp.Diff([]string{"welcome", "password_reset", "notification"}, TemplateNames()); diff != "" {
		t.Errorf("TemplateNames() (-want +got):\n%s", diff)
	}
}
