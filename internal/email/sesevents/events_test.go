package sesevents

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/email"
	"github.com/salonworks/jobs/internal/email/outbox"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

// TestEventEffects posts each SES event type for a sent row and reads
// what it did to the row and the suppression list.
func TestEventEffects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name           string
		message        func(sesID string) string
		wantStatus     outbox.Status
		wantError      string
		wantSuppressed string
		wantEvent      [2]string
	}{
		{name: "send", message: func(id string) string { return sesEventJSON("Send", id, "send", `{}`) },
			wantStatus: outbox.StatusSent, wantEvent: [2]string{"send", "unchanged"}},
		{name: "delivery", message: func(id string) string { return sesEventJSON("Delivery", id, "delivery", `{}`) },
			wantStatus: outbox.StatusDelivered, wantEvent: [2]string{"delivery", "applied"}},
		{name: "delivery delay", message: func(id string) string {
			return sesEventJSON("DeliveryDelay", id, "deliveryDelay", `{"delayType":"MailboxFull"}`)
		}, wantStatus: outbox.StatusSent, wantEvent: [2]string{"delivery_delay", "unchanged"}},
		{name: "permanent bounce", message: func(id string) string { return bounceJSON(id, "Permanent", t0) },
			wantStatus: outbox.StatusBounced, wantError: "Permanent bounce: General", wantSuppressed: outbox.SuppressBounce,
			wantEvent: [2]string{"bounce", "applied"}},
		{name: "transient bounce", message: func(id string) string { return bounceJSON(id, "Transient", t0) },
			wantStatus: outbox.StatusSent, wantEvent: [2]string{"transient_bounce", "applied"}},
		{name: "complaint", message: func(id string) string {
			return sesEventJSON("Complaint", id, "complaint", `{"complaintFeedbackType":"abuse","complainedRecipients":[{"emailAddress":"x@example.com"}]}`)
		}, wantStatus: outbox.StatusComplained, wantError: "complaint: abuse", wantSuppressed: outbox.SuppressComplaint,
			wantEvent: [2]string{"complaint", "applied"}},
		{name: "reject", message: func(id string) string { return sesEventJSON("Reject", id, "reject", `{"reason":"Bad content"}`) },
			wantStatus: outbox.StatusFailed, wantError: "rejected by SES: Bad content", wantEvent: [2]string{"reject", "applied"}},
		{name: "open is ignored", message: func(id string) string { return sesEventJSON("Open", id, "open", `{}`) },
			wantStatus: outbox.StatusSent, wantEvent: [2]string{"other", "ignored"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			address := fmt.Sprintf("Person%d@Example.com", i)
			sesID := fmt.Sprintf("ses-%d", i)
			m := f.sent(t, address, sesID)
			if code := f.postEnv(t, f.sns.notification(t, "2", "n-"+sesID, tt.message(sesID))); code != 200 {
				t.Fatalf("POST = %d, want 200", code)
			}
			got := f.get(t, m.ID)
			if got.Status != tt.wantStatus || got.Error != tt.wantError {
				t.Errorf("row = %s, error %q; want %s, %q", got.Status, got.Error, tt.wantStatus, tt.wantError)
			}
			if r := f.suppression(t, address); r != tt.wantSuppressed {
				t.Errorf("suppression = %q, want %q", r, tt.wantSuppressed)
			}
			if n := f.events(tt.wantEvent[0], tt.wantEvent[1]); n != 1 {
				t.Errorf("events %s/%s = %v, want 1", tt.wantEvent[0], tt.wantEvent[1], n)
			}
		})
	}
}

// TestStatesMoveForward posts reports out of order: a late one never
// takes a row back.
func TestStatesMoveForward(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	delivery := func(id string) string { return sesEventJSON("Delivery", id, "delivery", `{}`) }
	complaint := func(id string) string { return sesEventJSON("Complaint", id, "complaint", `{}`) }
	bounce := func(id string) string { return bounceJSON(id, "Permanent", t0) }
	reject := func(id string) string { return sesEventJSON("Reject", id, "reject", `{"reason":"Bad content"}`) }
	tests := []struct {
		name  string
		order []func(string) string
		want  outbox.Status
	}{
		{name: "delivery after bounce", order: []func(string) string{bounce, delivery}, want: outbox.StatusBounced},
		{name: "delivery after complaint", order: []func(string) string{complaint, delivery}, want: outbox.StatusComplained},
		{name: "bounce after complaint", order: []func(string) string{complaint, bounce}, want: outbox.StatusComplained},
		{name: "bounce after delivery", order: []func(string) string{delivery, bounce}, want: outbox.StatusBounced},
		{name: "reject after delivery", order: []func(string) string{delivery, reject}, want: outbox.StatusDelivered},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sesID := fmt.Sprintf("fwd-%d", i)
			m := f.sent(t, fmt.Sprintf("fwd%d@example.com", i), sesID)
			for j, msg := range tt.order {
				if code := f.postEnv(t, f.sns.notification(t, "1", fmt.Sprintf("n-%s-%d", sesID, j), msg(sesID))); code != 200 {
					t.Fatalf("POST #%d = %d, want 200", j+1, code)
				}
			}
			if got := f.get(t, m.ID).Status; got != tt.want {
				t.Errorf("row = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestUnknownMessageCountedAndDropped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.sent(t, "ana@example.com", "ses-known")
	if code := f.postEnv(t, f.sns.notification(t, "1", "n1", bounceJSON("ses-not-ours", "Permanent", t0))); code != 200 {
		t.Fatalf("POST = %d, want 200 (SNS must not retry it)", code)
	}
	if n := f.events("bounce", "unknown_message"); n != 1 {
		t.Errorf("bounce/unknown_message = %v, want 1", n)
	}
	if got := f.get(t, m.ID).Status; got != outbox.StatusSent {
		t.Errorf("another row = %s, want sent", got)
	}
	if r := f.suppression(t, "ana@example.com"); r != "" {
		t.Errorf("suppression = %q after an unknown message's bounce", r)
	}
}

// TestTransientBounces: the third transient bounce of an address within
// seven days suppresses it; three spread wider do not.
func TestTransientBounces(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name           string
		ago            []time.Duration
		wantSuppressed string
	}{
		{name: "three in a week", ago: []time.Duration{6 * 24 * time.Hour, 2 * 24 * time.Hour, time.Minute}, wantSuppressed: outbox.SuppressBounce},
		{name: "two in a week", ago: []time.Duration{2 * 24 * time.Hour, time.Minute}},
		{name: "three over nine days", ago: []time.Duration{9 * 24 * time.Hour, 8 * 24 * time.Hour, time.Minute}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			address := fmt.Sprintf("soft%d@example.com", i)
			for j, ago := range tt.ago {
				sesID := fmt.Sprintf("soft-%d-%d", i, j)
				f.sent(t, address, sesID)
				if code := f.postEnv(t, f.sns.notification(t, "2", "n-"+sesID, bounceJSON(sesID, "Transient", t0.Add(-ago)))); code != 200 {
					t.Fatalf("POST = %d, want 200", code)
				}
			}
			if r := f.suppression(t, address); r != tt.wantSuppressed {
				t.Errorf("suppression = %q, want %q", r, tt.wantSuppressed)
			}
		})
	}
}

// TestBouncedAddressNextEmailSkipped closes the loop: the Sender sends an
// email, SES reports its permanent bounce, and the next email to the
// address is skipped as suppressed without reaching SES.
func TestBouncedAddressNextEmailSkipped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r, err := email.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProvider{}
	s := &email.Sender{Store: f.store, Provider: p, Renderer: r, Clock: clock.Fixed(t0), From: "no-reply@salon.example"}
	ctx := context.Background()
	first := taskemail.SendPayload{Template: taskemail.TemplateWelcome, To: "Ana@Example.com", Data: map[string]any{"name": "Ana"}, IdempotencyKey: "welcome:1"}
	if err := s.Send(ctx, asynq.NewTask(taskemail.KindSend, nil), &first); err != nil {
		t.Fatal(err)
	}
	if code := f.postEnv(t, f.sns.notification(t, "1", "n1", bounceJSON("ses-sent-1", "Permanent", t0))); code != 200 {
		t.Fatalf("POST bounce = %d, want 200", code)
	}
	next := taskemail.SendPayload{Template: taskemail.TemplatePasswordReset, To: "ana@example.com",
		Data: map[string]any{"name": "Ana", "reset_url": "https://salon.example/reset?t=x", "expires_in_minutes": 30}, IdempotencyKey: "reset:1"}
	if err := s.Send(ctx, asynq.NewTask(taskemail.KindSend, nil), &next); err != nil {
		t.Fatal(err)
	}
	m, err := f.store.GetByKey(ctx, email.IdempotencyKey(next))
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != outbox.StatusSkipped || m.SkipReason != outbox.SkipSuppressed {
		t.Errorf("next email = %s (%q), want skipped (suppressed)", m.Status, m.SkipReason)
	}
	// The first email's task again (a retry, a duplicate): its row has
	// moved past sent, and nothing is sent.
	if err := s.Send(ctx, asynq.NewTask(taskemail.KindSend, nil), &first); err != nil {
		t.Fatalf("Send() of the bounced email again = %v", err)
	}
	if m, err := f.store.GetByKey(ctx, email.IdempotencyKey(first)); err != nil || m.Status != outbox.StatusBounced {
		t.Errorf("bounced email after its task ran again = %s, %v; want bounced", m.Status, err)
	}
	if p.calls != 1 {
		t.Errorf("provider called %d times, want 1 (the first email only)", p.calls)
	}
}

// countingProvider accepts every email, as SES would, with ids ses-sent-N.
type countingProvider struct{ calls int }

func (p *countingProvider) Name() string { return "fake" }

func (p *countingProvider) Send(context.Context, email.Message) (string, error) {
	p.calls++
	return fmt.Sprintf("ses-sent-%d", p.calls), nil
}
