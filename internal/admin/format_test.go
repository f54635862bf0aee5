package admin

import "testing"

func TestFormatterRendersThroughFieldClasses(t *testing.T) {
	tests := []struct {
		name, kind, in, want string
	}{
		{"inline sms", "sms:send", `{"to":"+15555550123","body":"See you","salon_id":42,"category":"marketing","idempotency_key":"k"}`,
			`{"to":"+1********23","body":"[redacted]","salon_id":42,"category":"marketing","idempotency_key":"k"}`},
		{"welcome email", "email:send", `{"template":"welcome","to":"jane.doe@example.com","data":{"name":"Jane"}}`,
			`{"template":"welcome","to":"j***@example.com","data":{"name":"Jane"}}`},
		{"password reset", "email:send", `{"template":"password_reset","to":"josé@example.com","data":{"name":"José","reset_url":"https://app.example/reset?token=t0k","expires_in_minutes":30}}`,
			`{"template":"password_reset","to":"j***@example.com","data":{"name":"José","reset_url":"[redacted]","expires_in_minutes":30}}`},
		{"ids and dates stay", "upload:process", `{"upload_id":1234567890}`, `{"upload_id":1234567890}`},
		{"binary", "upload:process", "\x00\x01\xff", "non-printable bytes"},
		{"empty", "sms:dispatch_reviews", "", ""},
	}
	var f Formatter
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.FormatPayload(tt.kind, []byte(tt.in)); got != tt.want {
				t.Errorf("FormatPayload\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestFormatResultMasksText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"recipients", `sent to +15555550123 and a@b.io`, `sent to +1********23 and a***@b.io`},
		{"signed link", `{"url":"https://s3.example/r.csv?X-Amz-Signature=abc"}`, `{"url":"https://s3.example/r.csv?[redacted]"}`},
		{"binary", "\x00\x01\xff", "non-printable bytes"},
		{"empty", "", ""},
	}
	var f Formatter
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.FormatResult("report:generate", []byte(tt.in)); got != tt.want {
				t.Errorf("FormatResult = %q, want %q", got, tt.want)
			}
		})
	}
}
