package ingest_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/testenv"
)

// lockedBuffer is a log sink safe for the bridge's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A producer's malformed recipient is still a customer's phone number or
// address: the dead-letter log line must not print it, even though the
// masker does not recognise it as well-formed.
func TestDeadLetterLogMasksMalformedRecipients(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, kind, payload, secret string }{
		{"phone without plus", "sms:send", `{"to":"15551234567","body":"hi","salon_id":1,"category":"transactional","idempotency_key":"k1"}`, "5551234567"},
		{"email with two at signs", "email:send", `{"template":"welcome","to":"jane.doe@@example.com","data":{}}`, "jane.doe"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _ := redisFor(t)
			var logs lockedBuffer
			b, _ := newBridge(t, r.Client, func(c *ingest.Config) {
				c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			})
			startBridge(t, b)
			xadd(t, r.Client, ingest.FieldKind, tt.kind, ingest.FieldPayload, tt.payload)
			testenv.WaitFor(t, 10*time.Second, "dead-letter log line", func() bool {
				return strings.Contains(logs.String(), "entries dead-lettered")
			})
			if strings.Contains(logs.String(), tt.secret) {
				t.Errorf("log carries the recipient %q:\n%s", tt.secret, logs.String())
			}
		})
	}
}
