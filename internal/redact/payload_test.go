package redact

import (
	"strings"
	"testing"

	"github.com/salonworks/jobs/tasks"
)

func TestPayload(t *testing.T) {
	tests := []struct {
		name, kind, in, want string
	}{
		{"password reset", "email:send",
			`{"template":"password_reset","to":"josé@example.com","data":{"name":"Ana","reset_url":"https://app.example/reset?token=abc","expires_in_minutes":30}}`,
			`{"template":"password_reset","to":"j***@example.com","data":{"name":"Ana","reset_url":"[redacted]","expires_in_minutes":30}}`},
		{"notification with a signed link", "email:send",
			`{"template":"notification","to":"a@b.co","data":{"subject":"Export ready","message":"Get it at https://s3.example/x.csv?X-Amz-Signature=s","link_url":"https://s3.example/x.csv?X-Amz-Signature=s"}}`,
			`{"template":"notification","to":"a***@b.co","data":{"subject":"Export ready","message":"Get it at https://s3.example/x.csv?[redacted]","link_url":"[redacted]"}}`},
		{"data key the template does not know", "email:send",
			`{"template":"welcome","to":"a@b.co","data":{"name":"Ana","token":"t0k"}}`,
			`{"template":"welcome","to":"a***@b.co","data":{"name":"Ana","token":"[redacted]"}}`},
		{"inline sms", "sms:send",
			`{"to":"+15555550123","body":"Your code is 991234","salon_id":42,"category":"transactional","idempotency_key":"otp:+15555550123"}`,
			`{"to":"+1********23","body":"[redacted]","salon_id":42,"category":"transactional","idempotency_key":"otp:+1********23"}`},
		{"malformed recipient still masked", "sms:send", `{"to":"555-0123 9"}`, `{"to":"5**-***3 9"}`},
		{"api call", "sync:api_call", `{"method":"POST","path":"/v1/hooks?key=s3cr3t","body":{"password":"p","n":1}}`,
			`{"method":"POST","path":"/v1/hooks?[redacted]","body":{"password":"[redacted]","n":"[redacted]"}}`},
		{"ids and dates stay", "upload:process", `{"upload_id":1234567890}`, `{"upload_id":1234567890}`},
		{"unknown field", "upload:process", `{"upload_id":1,"secret":"x"}`, `{"upload_id":1,"secret":"[redacted]"}`},
		{"unknown kind", "nope:nope", `{"a":"b","n":1}`, `{"a":"[redacted]","n":"[redacted]"}`},
		{"not JSON", "email:send", `reset https://x/?t=1`, `[redacted]`},
		{"empty", "email:send", ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Payload(tt.kind, []byte(tt.in)); got != tt.want {
				t.Errorf("Payload(%s)\n got %s\nwant %s", tt.kind, got, tt.want)
			}
		})
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		class    tasks.Class
		in, want string
	}{
		{tasks.Secret, "anything", Redacted},
		{tasks.Secret, "", ""},
		{tasks.PII, "jane@@example", "j***@example"},
		{tasks.PII, "(555) 555-0123", "(5**) ***-**23"},
		{tasks.Plain, "/reports/1?sig=x", "/reports/1?[redacted]"},
		{tasks.Plain, "transactional", "transactional"},
	}
	for _, tt := range tests {
		if got := Value(tt.class, tt.in); got != tt.want {
			t.Errorf("Value(%s, %q) = %q, want %q", tt.class, tt.in, got, tt.want)
		}
	}
}

func BenchmarkTextNothingToMask(b *testing.B) {
	s := strings.Repeat("task finished ok ", 4)
	for b.Loop() {
		Text(s)
	}
}

func TestQuoted(t *testing.T) {
	hide := Quoted("sms:send", []byte(`{"to":"15555550123","body":"Your code is 991234","salon_id":42,"category":"marketing","idempotency_key":"k-1"}`))
	in := `twilio refused "Your code is 991234" to 15555550123 (salon 42, marketing)`
	want := `twilio refused "[redacted]" to 1********23 (salon 42, marketing)`
	if got := hide(in); got != want {
		t.Errorf("Quoted\n got %s\nwant %s", got, want)
	}
	reset := Quoted("email:send", []byte(`{"template":"password_reset","to":"a@b.co","data":{"name":"Zoë \"Z\"","reset_url":"https://x/r/tok123","expires_in_minutes":30}}`))
	in = `render: {"name":"Zoë \"Z\"","reset_url":"https://x/r/tok123"}`
	want = `render: {"name":"Zoë \"Z\"","reset_url":"[redacted]"}`
	if got := reset(in); got != want {
		t.Errorf("Quoted\n got %s\nwant %s", got, want)
	}
}
