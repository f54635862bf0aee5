package email

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/taskerr"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

func TestRetryAfterSuccessSendsNothing(t *testing.T) {
	t.Parallel()
	ses := newFakeSES(t)
	f := newFixture(t, newSES(t, ses.srv.URL, ""))
	tests := []struct {
		name string
		p    taskemail.SendPayload
	}{
		{name: "producer's key", p: welcome("welcome:user:42")},
		{name: "derived key", p: taskemail.SendPayload{Template: taskemail.TemplatePasswordReset, To: "bob@example.com",
			Data: map[string]any{"name": "Bob", "reset_url": "https://app.salonworks.dev/reset?t=1", "expires_in_minutes": 30}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(ses.calls())
			if err := f.run(t, tt.p); err != nil {
				t.Fatalf("first run = %v", err)
			}
			// The task again (asynq's retry after a lost ack, or the
			// producer enqueueing twice): nothing more reaches SES.
			for range 2 {
				if err := f.run(t, tt.p); err != nil {
					t.Fatalf("second run = %v", err)
				}
			}
			if n := len(ses.calls()) - before; n != 1 {
				t.Fatalf("SES got %d requests for one email run three times, want 1", n)
			}
			m := f.row(t, tt.p)
			if m.Status != outbox.StatusSent || m.Attempts != 1 || !strings.HasPrefix(m.ProviderMessageID, "fake-") || !m.SentAt.Equal(t0) {
				t.Errorf("row = %+v; want sent once with the fake's message ID at t0", m)
			}
		})
	}
	if got := testutil.ToFloat64(f.metrics.Sends.WithLabelValues("ses", "duplicate", "")); got != 4 {
		t.Errorf("duplicate outcomes = %v, want 4", got)
	}
}

func TestSuppressedRecipientIsSkipped(t *testing.T) {
	t.Parallel()
	ses := newFakeSES(t)
	f := newFixture(t, newSES(t, ses.srv.URL, ""))
	if err := f.store.Suppress(context.Background(), "ANA@example.com", outbox.SuppressComplaint); err != nil {
		t.Fatal(err)
	}
	p := welcome("welcome:ana")
	if err := f.run(t, p); err != nil {
		t.Fatalf("run = %v, want nil (a skip is not a failure)", err)
	}
	if n := len(ses.calls()); n != 0 {
		t.Fatalf("SES got %d requests for a suppressed address", n)
	}
	if m := f.row(t, p); m.Status != outbox.StatusSkipped || m.SkipReason != outbox.SkipSuppressed || m.Attempts != 0 {
		t.Errorf("row = %s (%q), %d attempts; want skipped (suppressed), 0", m.Status, m.SkipReason, m.Attempts)
	}
	if got := testutil.ToFloat64(f.metrics.Sends.WithLabelValues("ses", "suppressed", "complaint")); got != 1 {
		t.Errorf("suppressed outcomes = %v, want 1", got)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	ses := newFakeSES(t)
	f := newFixture(t, newSES(t, ses.srv.URL, ""))
	if err := f.run(t, welcome("k:1")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		payload string
		wantRow bool
	}{
		{name: "not JSON", payload: `{`},
		{name: "missing data", payload: `{"template":"password_reset","to":"ana@example.com","data":{"name":"Ana"}}`},
		{name: "header injection in the recipient", payload: `{"template":"welcome","to":"ana@example.com\r\nBcc: x@example.com","data":{"name":"A"}}`},
		{name: "display name", payload: `{"template":"welcome","to":"Ana <ana@example.com>","data":{"name":"A"}}`},
		{name: "subject with a line break", payload: `{"template":"notification","to":"ana@example.com","data":{"subject":"a\nBcc: b","message":"m"}}`},
		{name: "key reused for another recipient", payload: `{"template":"welcome","to":"bob@example.com","data":{"name":"Bob"},"idempotency_key":"k:1"}`, wantRow: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := handler(f.s).ProcessTask(context.Background(), rawTask(tt.payload))
			if !taskerr.IsPermanent(err) {
				t.Fatalf("Send() = %v, want a permanent error", err)
			}
			if strings.Contains(err.Error(), "ana@example.com") || strings.Contains(err.Error(), "bob@example.com") {
				t.Errorf("error %q shows a recipient unmasked", err)
			}
		})
	}
	if n := len(ses.calls()); n != 1 {
		t.Errorf("SES got %d requests, want only the first email's", n)
	}
	var rows int
	f.pg.Pool.QueryRow(context.Background(), `SELECT count(*) FROM email_messages`).Scan(&rows)
	if rows != 1 {
		t.Errorf("%d outbox rows, want 1: refused payloads store nothing", rows)
	}
}

func TestRowFoundSending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		handed bool // the lost worker recorded the hand-over to SES
	}{
		{"worker lost after the hand-over", true},
		{"worker lost before the hand-over", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ses := newFakeSES(t)
			f := newFixture(t, newSES(t, ses.srv.URL, ""))
			ctx := context.Background()
			p := welcome("crashed")
			m, _, err := f.store.Create(ctx, IdempotencyKey(p), p.Template, p.To)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.store.Claim(ctx, m.ID); err != nil {
				t.Fatal(err)
			}
			if tt.handed {
				if err := f.store.MarkHanded(ctx, m.ID); err != nil {
					t.Fatal(err)
				}
			}
			// A young claim: another attempt may still be at it. Wait,
			// without spending a retry, until its lease is over.
			err = f.run(t, p)
			rl, ok := taskerr.AsRateLimit(err)
			if !ok || rl.Delay < time.Minute || rl.Delay > DefaultLease+time.Second {
				t.Fatalf("run on a fresh claim = %v, want a rate limit of about the lease", err)
			}
			f.pg.Pool.Exec(ctx, `UPDATE email_messages SET updated_at = now() - interval '3 minutes' WHERE id = $1`, m.ID)
			err = f.run(t, p)
			got := f.row(t, p)
			if !tt.handed {
				// Nothing left: it is sent now, once, not written off.
				if err != nil || got.Status != outbox.StatusSent || len(ses.calls()) != 1 || got.Attempts != 1 {
					t.Errorf("run on an expired claim never handed over = %v; row %s after %d attempts, SES got %d; want sent once",
						err, got.Status, got.Attempts, len(ses.calls()))
				}
				return
			}
			// The email may or may not have left: failed as unknown, not
			// resent.
			if !taskerr.IsPermanent(err) {
				t.Fatalf("run on an expired claim = %v, want a permanent error", err)
			}
			if got.Status != outbox.StatusFailed || !strings.HasPrefix(got.Error, outbox.OutcomeUnknown) {
				t.Errorf("row = %s, %q; want failed, outcome unknown", got.Status, got.Error)
			}
			if n := len(ses.calls()); n != 0 {
				t.Errorf("SES got %d requests, want none", n)
			}
			if !strings.Contains(f.logs.String(), `"level":"ERROR"`) || strings.Contains(f.logs.String(), "ana@example.com") {
				t.Errorf("logs = %s; want an error line with the recipient masked", f.logs)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	base := taskemail.SendPayload{Template: "password_reset", To: "Ana@Example.com",
		Data: map[string]any{"name": "Ana", "reset_url": "https://a.example/r?t=1&x=<y>", "expires_in_minutes": 30.0}}
	same := taskemail.SendPayload{Template: "password_reset", To: " ana@example.com",
		Data: map[string]any{"expires_in_minutes": 30, "reset_url": "https://a.example/r?t=1&x=<y>", "name": "Ana"}}
	other := taskemail.SendPayload{Template: "password_reset", To: "ana@example.com",
		Data: map[string]any{"name": "Ana", "reset_url": "https://a.example/r?t=2", "expires_in_minutes": 30}}
	k := IdempotencyKey(base)
	if !strings.HasPrefix(k, DerivedKeyPrefix) || len(k) != len(DerivedKeyPrefix)+64 {
		t.Fatalf("derived key = %q, want %s and 64 hex digits", k, DerivedKeyPrefix)
	}
	tests := []struct {
		name  string
		p     taskemail.SendPayload
		equal bool
	}{
		{name: "same email: case, spaces, key order and number type don't matter", p: same, equal: true},
		{name: "other data", p: other},
		{name: "other template", p: taskemail.SendPayload{Template: "welcome", To: base.To, Data: base.Data}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IdempotencyKey(tt.p) == k; got != tt.equal {
				t.Errorf("key equal = %v, want %v", got, tt.equal)
			}
		})
	}
	if diff := cmp.Diff("mine", IdempotencyKey(taskemail.SendPayload{IdempotencyKey: "mine"})); diff != "" {
		t.Errorf("producer's key (-want +got):\n%s", diff)
	}
}

// errorsAsSendError is errors.As for a *SendError.
func errorsAsSendError(err error) (*SendError, bool) {
	var se *SendError
	ok := errors.As(err, &se)
	return se, ok
}
