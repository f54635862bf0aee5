package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
	"github.com/salonworks/jobs/internal/taskerr"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// t0 is the send tests' fixed clock: a Tuesday afternoon in New York.
var t0 = time.Date(2026, 7, 14, 18, 0, 0, 0, time.UTC)

func TestSendAcceptedRecordsSIDAndCallback(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550101"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)

	if err := handler(f.sender()).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	got := f.fake.SentTo(to)
	if len(got) != 1 {
		t.Fatalf("fake holds %d messages to the customer, want 1", len(got))
	}
	m := f.get(t, id)
	if m.Status != outbox.StatusSent || m.TwilioSID != got[0].SID || !m.SentAt.Equal(t0) || m.Attempts != 1 {
		t.Errorf("row = %s, SID %q, sent at %s, attempts %d; want sent, %s, %s, 1", m.Status, m.TwilioSID, m.SentAt, m.Attempts, got[0].SID, t0)
	}
	if want := fmt.Sprintf("%s/webhooks/twilio/status?message_id=%d", publicBase, id); got[0].StatusCallback != want {
		t.Errorf("StatusCallback = %q, want %q", got[0].StatusCallback, want)
	}
	if got[0].Body != m.Body || got[0].MessagingServiceSID != serviceSID {
		t.Errorf("Twilio got body %q via %q, want the row's body via %s", got[0].Body, got[0].MessagingServiceSID, serviceSID)
	}
	// A duplicate delivery of the task finds the row sent.
	if err := handler(f.sender()).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
		t.Errorf("second Send() = %v, want nil", err)
	}
	if n := len(f.fake.SentTo(to)); n != 1 {
		t.Errorf("after a duplicate task the fake holds %d messages, want 1", n)
	}
}

// TestSendTwilioErrorClasses drives each class of Twilio answer through
// the real SDK and checks the row, the task's fate, the opt-out record,
// and what a later delivery of the same task does.
func TestSendTwilioErrorClasses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")

	type outcome int
	const (
		permanent   outcome = iota // archived, no retry
		rateLimited                // rescheduled, no retry spent
		unknownOut                 // left to the reconciler, archived
	)
	tests := []struct {
		name      string
		step      twiliofake.Step
		want      outcome
		status    outbox.Status
		code      int
		wait      string        // wait_reason
		delay     time.Duration // send_after - now, and the task's delay
		optedOut  bool
		atTwilio  int // messages the fake holds after the first attempt
		redeliver int // … and after the task runs again
	}{
		{name: "21211 invalid number", step: twiliofake.Error(400, 21211, "The 'To' number +15555550201 is not a valid phone number."),
			want: permanent, status: outbox.StatusFailed, code: 21211},
		{name: "21614 not a mobile", step: twiliofake.Error(400, 21614, "'To' number is not a valid mobile number"),
			want: permanent, status: outbox.StatusFailed, code: 21614},
		{name: "21610 opted out", step: twiliofake.Error(400, 21610, "Attempt to send to unsubscribed recipient"),
			want: permanent, status: outbox.StatusFailed, code: 21610, optedOut: true},
		{name: "429 with Retry-After", step: twiliofake.RateLimited(3 * time.Second),
			want: rateLimited, status: outbox.StatusPending, wait: outbox.WaitRateLimited, delay: 3 * time.Second, redeliver: 1},
		{name: "20429 without Retry-After", step: twiliofake.Error(429, 20429, "Too Many Requests"),
			want: rateLimited, status: outbox.StatusPending, wait: outbox.WaitRateLimited, delay: 10 * time.Second, redeliver: 1},
		{name: "21611 queue full", step: twiliofake.Error(400, 21611, "This 'From' number has exceeded the maximum number of queued messages"),
			want: rateLimited, status: outbox.StatusPending, wait: outbox.WaitRateLimited, delay: 10 * time.Second, redeliver: 1},
		{name: "5xx, not accepted", step: twiliofake.Error(503, 20503, "Service Unavailable"),
			want: unknownOut, status: outbox.StatusUnknown},
		{name: "5xx after acceptance", step: twiliofake.AcceptThenFail5xx(),
			want: unknownOut, status: outbox.StatusUnknown, atTwilio: 1, redeliver: 1},
		{name: "timeout", step: twiliofake.Hang(5 * time.Second),
			want: unknownOut, status: outbox.StatusUnknown, atTwilio: 1, redeliver: 1},
		{name: "garbled answer", step: twiliofake.Garbled(),
			want: unknownOut, status: outbox.StatusUnknown, atTwilio: 1, redeliver: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			to := fmt.Sprintf("+155555502%02d", i)
			customer := f.customer(t, salon, to, true)
			id := f.message(t, salon, customer, outbox.KindConfirmation, to)
			f.fake.Script(to, tt.step)
			s := f.sender()

			err := handler(s).ProcessTask(context.Background(), sendTask(t, id))
			rl, limited := taskerr.AsRateLimit(err)
			switch tt.want {
			case permanent, unknownOut:
				if !taskerr.IsPermanent(err) || limited {
					t.Fatalf("Send() = %v, want a permanent error (no retry)", err)
				}
			case rateLimited:
				if !limited || taskerr.IsPermanent(err) {
					t.Fatalf("Send() = %v, want a *taskerr.RateLimitError", err)
				}
				if rl.Delay != tt.delay {
					t.Errorf("rate limit delay = %s, want %s", rl.Delay, tt.delay)
				}
			}
			if strings.Contains(err.Error(), to) || strings.Contains(err.Error(), authToken) {
				t.Errorf("error %q shows the number or the auth token", err)
			}

			m := f.get(t, id)
			type row struct {
				Status     outbox.Status
				Code       int
				Wait       string
				SendAfter  time.Time
				Attempts   int
				HasFailure bool
			}
			want := row{Status: tt.status, Code: tt.code, Wait: tt.wait, Attempts: 1, HasFailure: tt.status == outbox.StatusFailed}
			if tt.want == rateLimited {
				want.SendAfter, want.Attempts = t0.Add(tt.delay), 0 // the attempt is given back
			}
			got := row{m.Status, m.ErrorCode, m.WaitReason, m.SendAfter, m.Attempts, !m.FailedAt.IsZero()}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("row after the answer (-want +got):\n%s", diff)
			}
			if n := len(f.fake.SentTo(to)); n != tt.atTwilio {
				t.Errorf("fake holds %d messages to the number, want %d", n, tt.atTwilio)
			}

			out, err := f.store.IsOptedOut(context.Background(), to)
			if err != nil {
				t.Fatal(err)
			}
			flagged := f.count(t, `SELECT count(*) FROM customers WHERE id = $1 AND sms_opted_out_at IS NOT NULL`, customer)
			events := f.count(t, `SELECT count(*) FROM sms_opt_events
				WHERE phone = $1 AND action = 'opt_out' AND source = 'error_21610' AND salon_id = $2`, to, salon)
			if gotOut := [3]int{b2i(out), flagged, events}; gotOut != [3]int{b2i(tt.optedOut), b2i(tt.optedOut), b2i(tt.optedOut)} {
				t.Errorf("opted out %v, customer flagged %d, error_21610 events %d; want all %v", out, flagged, events, tt.optedOut)
			}

			// The task runs again (asynq's retry, or a duplicate delivery).
			// Only a rate-limited row goes out then; nothing else is sent
			// twice.
			if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
				t.Errorf("second Send() = %v, want nil", err)
			}
			if n := len(f.fake.SentTo(to)); n != tt.redeliver {
				t.Errorf("after the task ran again the fake holds %d messages, want %d", n, tt.redeliver)
			}
			if tt.want == rateLimited {
				if m := f.get(t, id); m.Status != outbox.StatusSent || m.Attempts != 1 {
					t.Errorf("retried rate-limited row = %s after %d attempts, want sent after 1", m.Status, m.Attempts)
				}
			} else if m := f.get(t, id); m.Status != tt.status {
				t.Errorf("row moved from %s to %s when the task ran again", tt.status, m.Status)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cancelingProvider cancels the task's context as the send starts, as a
// shutdown or the task timeout would, before anything reaches Twilio.
type cancelingProvider struct {
	Provider
	cancel context.CancelFunc
}

func (p cancelingProvider) Send(ctx context.Context, sender, to, body, callback string) (string, error) {
	p.cancel()
	return p.Provider.Send(ctx, sender, to, body, callback)
}

// TestSendInterruptedGivesTheRowBack: a send whose task context ends
// (worker shutdown, task timeout) before the message reached Twilio must
// leave the row pending for the retry, not "sending": a row stuck there is
// taken for a lost answer, and the reconciler would mark a review or a
// campaign text that never left as failed.
func TestSendInterruptedGivesTheRowBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	tests := []struct {
		name  string
		kind  string // a transactional text waits in place for its turn
		setup func(t *testing.T, s *Sender) (context.Context, context.CancelFunc)
	}{
		{"shutdown before the request", outbox.KindReview, func(t *testing.T, s *Sender) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			s.Provider = cancelingProvider{Provider: s.Provider, cancel: cancel}
			return ctx, cancel
		}},
		{"deadline while waiting for the rate limit", outbox.KindConfirmation, func(t *testing.T, s *Sender) (context.Context, context.CancelFunc) {
			l, err := NewLimiter(f.rdb.Client, "interrupted", 1)
			if err != nil {
				t.Fatal(err)
			}
			l.MaxWait = 5 * time.Second
			if d, err := l.Wait(context.Background(), Turn{Transactional: true}); d != 0 || err != nil { // take this second's turn
				t.Fatalf("first Wait() = %s, %v", d, err)
			}
			s.Limiter = l
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			to := fmt.Sprintf("+155555503%02d", i)
			id := f.message(t, salon, f.customer(t, salon, to, true), tt.kind, to)
			s := f.sender()
			ctx, cancel := tt.setup(t, s)
			defer cancel()

			err := handler(s).ProcessTask(ctx, sendTask(t, id))
			if err == nil || taskerr.IsPermanent(err) || !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send() = %v, want the context's error, retryable", err)
			}
			if m := f.get(t, id); m.Status != outbox.StatusPending || m.Attempts != 0 {
				t.Errorf("row = %s after %d attempts, want pending with the attempt given back", m.Status, m.Attempts)
			}
			if n := len(f.fake.SentTo(to)); n != 0 {
				t.Errorf("fake holds %d messages, want none", n)
			}
		})
	}
}

// TestSendInline: the inline form of sms:send stores its message under the
// producer's key, once; a repeat of the task sends nothing more.
func TestSendInline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550451"
	payload := []byte(fmt.Sprintf(`{"to":%q,"body":"Your nails are ready!","salon_id":%d,"category":"transactional","idempotency_key":"order-77"}`, to, salon))
	for range 2 {
		if err := handler(f.sender()).ProcessTask(context.Background(), asynq.NewTask(tasksms.KindSend, payload)); err != nil {
			t.Fatalf("Send(inline) = %v", err)
		}
	}
	if n := len(f.fake.SentTo(to)); n != 1 {
		t.Errorf("fake holds %d messages, want 1", n)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages WHERE idempotency_key = 'api:order-77' AND status = 'sent' AND kind = 'adhoc'`); n != 1 {
		t.Errorf("%d sent rows under api:order-77, want 1", n)
	}
	bad := asynq.NewTask(tasksms.KindSend, []byte(`{"to":"+15555550451"}`))
	if err := handler(f.sender()).ProcessTask(context.Background(), bad); !taskerr.IsPermanent(err) {
		t.Errorf("Send(incomplete inline) = %v, want permanent", err)
	}
}

// TestLogProvider: SMS_PROVIDER=log takes rows through the same states and
// logs the masked number, never the body.
func TestLogProvider(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550452"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
	s := f.sender()
	s.Provider = LogProvider{Logger: logger, Clock: f.clock.Clock()}
	if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
		t.Fatal(err)
	}
	m := f.get(t, id)
	if m.Status != outbox.StatusSent || !strings.HasPrefix(m.TwilioSID, "LOG") {
		t.Errorf("row = %s with SID %q, want sent with a LOG… SID", m.Status, m.TwilioSID)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if !strings.Contains(out, "sms sent to the log") || strings.Contains(out, to) || strings.Contains(out, "see you soon") {
		t.Errorf("log = %s; want the send logged, without the number or the body", out)
	}
	if len(f.fake.Messages()) != 0 {
		t.Error("the log provider reached Twilio")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestInlineMarketingNeedsConsentOnRecord: an inline marketing text has no
// customer row of its own, so consent is looked up by salon and number; a
// number with no customer, or one without consent, is skipped.
func TestInlineMarketingNeedsConsentOnRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	f.customer(t, salon, "+15555550461", true)
	f.customer(t, salon, "+15555550462", false)
	tests := []struct {
		name, to, key string
		wantSent      bool
	}{
		{"consenting customer", "+15555550461", "promo-1", true},
		{"customer without consent", "+15555550462", "promo-2", false},
		{"number of no customer", "+15555550463", "promo-3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := []byte(fmt.Sprintf(`{"to":%q,"body":"20%% off this week","salon_id":%d,"category":"marketing","idempotency_key":%q}`, tt.to, salon, tt.key))
			if err := handler(f.sender()).ProcessTask(context.Background(), asynq.NewTask(tasksms.KindSend, payload)); err != nil {
				t.Fatalf("Send = %v", err)
			}
			sent := len(f.fake.SentTo(tt.to)) == 1
			if sent != tt.wantSent {
				t.Errorf("sent = %v, want %v", sent, tt.wantSent)
			}
			if !tt.wantSent {
				if n := f.count(t, fmt.Sprintf(`SELECT count(*) FROM sms_messages WHERE idempotency_key = 'api:%s' AND status = 'skipped' AND skip_reason = 'no_consent'`, tt.key)); n != 1 {
					t.Errorf("row not skipped with no_consent")
				}
			}
		})
	}
}

// TestSendRecordsHandOverFirst: when the request leaves for Twilio, the
// hand-over is already committed (another connection sees it), and a
// claim taken over meanwhile sends nothing.
func TestSendRecordsHandOverFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550131"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	s := f.sender()
	var seen outbox.Message
	s.Provider = watchSend{Provider: f.provider, before: func() { seen = f.get(t, id) }}
	if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
		t.Fatal(err)
	}
	if seen.Handover != outbox.HandoverHanded || !seen.HandedAt.Equal(t0) {
		t.Errorf("at the request the row was %q handed at %s, want handed at %s", seen.Handover, seen.HandedAt, t0)
	}
	if m := f.get(t, id); m.Status != outbox.StatusSent || len(f.fake.SentTo(to)) != 1 {
		t.Errorf("row = %s, fake holds %d; want sent once", m.Status, len(f.fake.SentTo(to)))
	}
}

// watchSend calls before just before each Send.
type watchSend struct {
	Provider
	before func()
}

func (w watchSend) Send(ctx context.Context, sender, to, body, cb string) (string, error) {
	w.before()
	return w.Provider.Send(ctx, sender, to, body, cb)
}

// TestSendWaitSurvivesCancellation: the task's context ends (shutdown)
// just as the send must wait for the rate limit. The release and the
// scheduled task still land: the row is not left claimed.
func TestSendWaitSurvivesCancellation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550132"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := f.sender()
	s.Limiter = cancelThenWait{cancel: cancel, delay: time.Minute}
	if err := handler(s).ProcessTask(ctx, sendTask(t, id)); err != nil {
		t.Fatalf("ProcessTask() = %v", err)
	}
	m := f.get(t, id)
	if m.Status != outbox.StatusPending || m.WaitReason != outbox.WaitRateLimited || !m.SendAfter.Equal(t0.Add(time.Minute)) {
		t.Fatalf("row = %s waiting for %q until %s, want pending, rate limited until %s", m.Status, m.WaitReason, m.SendAfter, t0.Add(time.Minute))
	}
	f.wantTaskAt(t, id, t0.Add(time.Minute))
}

// cancelThenWait is a rate limiter that ends the task's context and then
// asks for a wait.
type cancelThenWait struct {
	cancel context.CancelFunc
	delay  time.Duration
}

func (c cancelThenWait) Wait(context.Context, Turn) (time.Duration, error) {
	c.cancel()
	return c.delay, nil
}

func (c cancelThenWait) Join(context.Context, Turn, int64, ...int64) (int64, error) {
	return 1, nil
}
