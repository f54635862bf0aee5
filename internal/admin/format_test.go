package admin

import "testing"

func TestFormatterMasks(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"sms payload", `{"to":"+15555550123","body":"See you","salon_id":42}`, `{"to":"+1********23","body":"See you","salon_id":42}`},
		{"email payload", `{"template":"welcome","to":"jane.doe@example.com","data":{"name":"Jane"}}`, `{"template":"welcome","to":"j***@example.com","data":{"name":"Jane"}}`},
		{"number in free text", `{"body":"call us on +44 20 7946 0958"}`, `{"body":"call us on +4* ** **** **58"}`},
		{"ids and dates stay", `{"upload_id":1234567890,"date":"2026-01-02"}`, `{"upload_id":1234567890,"date":"2026-01-02"}`},
		{"result", `sent to +15555550123 and a@b.io`, `sent to +1********23 and a***@b.io`},
		{"binary", "\x00\x01\xff", "non-printable bytes"},
		{"empty", "", ""},
	}
	var f Formatter
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.FormatPayload("sms:send", []byte(tt.in)); got != tt.want {
				t.Errorf("FormatPayload = %q, want %q", got, tt.want)
			}
			if got := f.FormatResult("sms:send", []byte(tt.in)); got != tt.want {
				t.Errorf("FormatResult = %q, want %q", got, tt.want)
			}
		})
	}
}
