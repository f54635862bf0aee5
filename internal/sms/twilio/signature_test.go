package twilio_test

import (
	"net/url"
	"testing"

	"github.com/salonworks/jobs/internal/sms/twilio"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
)

func TestValidateSignature(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	const hook = "https://jobs.example.com/webhooks/twilio/status"
	form := url.Values{
		"MessageSid":    {"SM0123456789abcdef0123456789abcdef"},
		"MessageStatus": {"delivered"},
		"To":            {customer},
	}
	signature := f.Sign(hook, form)

	tampered := url.Values{}
	for k, v := range form {
		tampered[k] = v
	}
	tampered.Set("MessageStatus", "failed")

	tests := []struct {
		name      string
		token     string
		url       string
		form      url.Values
		signature string
		want      bool
	}{
		{"as signed", authToken, hook, form, signature, true},
		{"with the default port", authToken, "https://jobs.example.com:443/webhooks/twilio/status", form, signature, true},
		{"tampered form", authToken, hook, tampered, signature, false},
		{"extra field", authToken, hook, withField(form, "ErrorCode", "30003"), signature, false},
		{"other URL", authToken, "https://jobs.example.com/webhooks/twilio/inbound", form, signature, false},
		{"other host", authToken, "https://evil.example.com/webhooks/twilio/status", form, signature, false},
		{"other token", "0badc0de0badc0de0badc0de0badc0de", hook, form, signature, false},
		{"no signature", authToken, hook, form, "", false},
		{"no token", "", hook, form, signature, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := twilio.ValidateSignature(tt.token, tt.url, tt.form, tt.signature); got != tt.want {
				t.Errorf("ValidateSignature = %v, want %v", got, tt.want)
			}
		})
	}
}

func withField(form url.Values, key, value string) url.Values {
	out := url.Values{key: {value}}
	for k, v := range form {
		out[k] = v
	}
	return out
}
