package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestEveryLineIsRedacted(t *testing.T) {
	var buf bytes.Buffer
	for _, format := range []string{"json", "text"} {
		buf.Reset()
		logger, err := New(&buf, format, "debug")
		if err != nil {
			t.Fatal(err)
		}
		logger = logger.With("recipient", "josé@example.com")
		logger.Info("sent to +15555550123",
			"err", errors.New(`twilio: "To" +447911123456 refused; see https://api.example/x?token=t0k`),
			"kind", "email:send",
			"payload", []byte(`{"template":"password_reset","to":"ana@example.com","data":{"name":"Ana","reset_url":"https://app.example/r/RESETTOKEN","expires_in_minutes":30}}`),
			"password", "hunter2",
			slog.Group("task", "kind", "sms:send", "payload", json.RawMessage(`{"to":"+15555550199","body":"BODYTEXT"}`)),
			slog.Group("req", "url", "https://app.example/reset?code=QUERYCODE"),
			"message_id", 42,
		)
		line := buf.String()
		for _, leak := range []string{"josé@", "5555550123", "7911123456", "t0k", "ana@", "RESETTOKEN", "hunter2", "QUERYCODE", "5555550199", "BODYTEXT"} {
			if strings.Contains(line, leak) {
				t.Errorf("%s: %q leaked into %s", format, leak, line)
			}
		}
		for _, kept := range []string{"j***@example.com", "+1********23", "a***@example.com", "42", "password_reset", "[redacted]"} {
			if !strings.Contains(line, kept) {
				t.Errorf("%s: %q missing from %s", format, kept, line)
			}
		}
	}
}
