package sms

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/twilio"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
	"github.com/salonworks/jobs/internal/taskerr"
)

// pastGrace is later than any claim made at t0 by more than both
// outbox.StuckAfter and the reconciler's settle interval.
const pastGrace = outbox.StuckAfter + DefaultSettle + time.Minute

func TestReconcileAcceptedThen5xx(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550401"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	f.fake.Script(to, twiliofake.AcceptThenFail5xx())
	s := f.sender()

	if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); !taskerr.IsPermanent(err) {
		t.Fatalf("Send() = %v, want a permanent error", err)
	}
	if m := f.get(t, id); m.Status != outbox.StatusUnknown {
		t.Fatalf("row = %s, want unknown", m.Status)
	}
	// Passes at 30 s and then well past the grace period: the first finds
	// the message at Twilio already, the second changes nothing.
	r := f.reconciler()
	for _, d := range []time.Duration{30 * time.Second, pastGrace} {
		f.clock.Set(t0.Add(d))
		if err := r.Pass(context.Background()); err != nil {
			t.Fatalf("Pass() at +%s = %v", d, err)
		}
	}
	if _, errs := f.drain(t, f.handlers(s)); len(errs) > 0 {
		t.Fatalf("tasks after reconciliation failed: %v", errs)
	}
	at := f.fake.SentTo(to)
	if len(at) != 1 {
		t.Fatalf("fake holds %d messages, want exactly 1", len(at))
	}
	if m := f.get(t, id); m.Status != outbox.StatusSent || m.TwilioSID != at[0].SID {
		t.Errorf("row = %s with SID %q, want sent with %s", m.Status, m.TwilioSID, at[0].SID)
	}
}

// TestReconcileWorkerKilledBetweenClaimAndSend: a worker claims a row and
// dies before handing it to Twilio. Once its claim is stale the row goes
// back to pending with a task, without any grace period, and is sent once,
// through the gates: a customer who opted out meanwhile gets nothing.
func TestReconcileWorkerKilledBetweenClaimAndSend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	tests := []struct {
		name    string
		kind    string
		to      string
		optOut  bool
		want    outbox.Status
		atTwilo int
	}{
		{"confirmation", outbox.KindConfirmation, "+15555550402", false, outbox.StatusSent, 1},
		{"campaign", outbox.KindCampaign, "+15555550412", false, outbox.StatusSent, 1},
		{"opted out meanwhile", outbox.KindReview, "+15555550422", true, outbox.StatusSkipped, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Set(t0)
			id := f.message(t, salon, f.customer(t, salon, tt.to, true), tt.kind, tt.to)
			if _, err := f.store.Claim(context.Background(), id, t0); err != nil {
				t.Fatal(err)
			}
			s, r := f.sender(), f.reconciler()
			// Its task is delivered again meanwhile: it must not take a
			// live claim over.
			if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
				t.Fatalf("redelivered ProcessTask() = %v", err)
			}
			f.clock.Set(t0.Add(outbox.StuckAfter - time.Second))
			if err := r.Pass(context.Background()); err != nil {
				t.Fatal(err)
			}
			if m := f.get(t, id); m.Status != outbox.StatusSending {
				t.Fatalf("row = %s before StuckAfter, want still sending", m.Status)
			}
			if tt.optOut {
				if err := f.store.OptOut(context.Background(), tt.to, nil, outbox.SourceAPI, ""); err != nil {
					t.Fatal(err)
				}
			}
			f.clock.Set(t0.Add(outbox.StuckAfter + time.Second))
			if err := r.Pass(context.Background()); err != nil {
				t.Fatal(err)
			}
			if m := f.get(t, id); m.Status != outbox.StatusPending || m.Attempts != 0 {
				t.Fatalf("row = %s with %d attempts after StuckAfter, want pending with 0", m.Status, m.Attempts)
			}
			if _, errs := f.drain(t, f.handlers(s)); len(errs) > 0 {
				t.Fatalf("tasks failed: %v", errs)
			}
			at := f.fake.SentTo(tt.to)
			if len(at) != tt.atTwilo {
				t.Fatalf("fake holds %d messages, want %d", len(at), tt.atTwilo)
			}
			if m := f.get(t, id); m.Status != tt.want || tt.atTwilo == 1 && (m.TwilioSID != at[0].SID || m.Attempts != 1) {
				t.Errorf("row = %s, SID %q, attempts %d; want %s after 1 attempt", m.Status, m.TwilioSID, m.Attempts, tt.want)
			}
		})
	}
}

// TestReconcileWorkerKilledBetweenSendAndRecord: Twilio accepted the
// message and the worker died before recording it. A redelivered task
// sends nothing; the reconciler finds the message and records it.
func TestReconcileWorkerKilledBetweenSendAndRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	tests := []struct {
		name string
		kind string
	}{
		{"confirmation", outbox.KindConfirmation},
		// Not resendable: it must still be found and marked sent, not failed.
		{"review", outbox.KindReview},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := []string{"+15555550403", "+15555550404"}[i]
			id := f.message(t, salon, f.customer(t, salon, to, true), tt.kind, to)
			f.clock.Set(t0)
			s := f.sender()
			died := errors.New("worker killed after Twilio accepted")
			s.afterSend = func(got int64) error {
				if got != id {
					t.Errorf("afterSend(%d), want %d", got, id)
				}
				return died
			}
			if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); !errors.Is(err, died) {
				t.Fatalf("Send() = %v, want the seam's error", err)
			}
			if m := f.get(t, id); m.Status != outbox.StatusSending {
				t.Fatalf("row = %s, want sending (sent but not recorded)", m.Status)
			}
			// asynq delivers the task again, to a healthy worker.
			if err := handler(f.sender()).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
				t.Fatalf("redelivered Send() = %v", err)
			}
			f.clock.Set(t0.Add(pastGrace))
			if err := f.reconciler().Pass(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, errs := f.drain(t, f.handlers(f.sender())); len(errs) > 0 {
				t.Fatalf("tasks failed: %v", errs)
			}
			at := f.fake.SentTo(to)
			if len(at) != 1 {
				t.Fatalf("fake holds %d messages, want exactly 1", len(at))
			}
			if m := f.get(t, id); m.Status != outbox.StatusSent || m.TwilioSID != at[0].SID {
				t.Errorf("row = %s with SID %q, want sent with %s", m.Status, m.TwilioSID, at[0].SID)
			}
		})
	}
}

// TestReconcileAbsentIsSentAgain: a text whose request failed with a 5xx
// never reached Twilio. Two complete lookups a settle interval apart find
// nothing, and it is sent again, whatever its kind, through the gates.
func TestReconcileAbsentIsSentAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	tests := []struct {
		name   string
		kind   string
		to     string
		cancel bool // the campaign is cancelled meanwhile
		want   outbox.Status
		sends  int
	}{
		{"confirmation", outbox.KindConfirmation, "+15555550405", false, outbox.StatusSent, 1},
		{"review", outbox.KindReview, "+15555550415", false, outbox.StatusSent, 1},
		{"campaign", outbox.KindCampaign, "+15555550425", false, outbox.StatusSent, 1},
		{"campaign cancelled meanwhile", outbox.KindCampaign, "+15555550435", true, outbox.StatusSkipped, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Set(t0)
			id := f.message(t, salon, f.customer(t, salon, tt.to, true), tt.kind, tt.to)
			if tt.kind == outbox.KindCampaign {
				f.campaignOf(t, salon, id)
			}
			f.fake.Script(tt.to, twiliofake.Error(502, 20500, "Bad Gateway"))
			s, r := f.sender(), f.reconciler()
			if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); !taskerr.IsPermanent(err) {
				t.Fatalf("ProcessTask() = %v, want permanent", err)
			}
			if tt.cancel {
				if _, err := f.pool.Exec(context.Background(), `UPDATE campaigns SET status = 'cancelled' WHERE id = (SELECT campaign_id FROM sms_messages WHERE id = $1)`, id); err != nil {
					t.Fatal(err)
				}
			}
			pass := func(d time.Duration) {
				t.Helper()
				f.clock.Set(t0.Add(d))
				if err := r.Pass(context.Background()); err != nil {
					t.Fatalf("Pass() at +%s = %v", d, err)
				}
				if _, errs := f.drain(t, f.handlers(s)); len(errs) > 0 {
					t.Fatalf("tasks failed: %v", errs)
				}
			}
			pass(time.Second)
			if m := f.get(t, id); m.Status != outbox.StatusUnknown || !m.AbsentAt.Equal(t0.Add(time.Second)) {
				t.Fatalf("after one lookup row = %s absent since %s, want unknown, absent since +1s", m.Status, m.AbsentAt)
			}
			// Not due yet: nothing changes.
			pass(DefaultSettle / 2)
			if m := f.get(t, id); m.Status != outbox.StatusUnknown {
				t.Fatalf("within the settle interval row = %s, want unknown", m.Status)
			}
			pass(DefaultSettle + time.Second)
			pass(DefaultSettle + 2*time.Second)
			if n := len(f.fake.SentTo(tt.to)); n != tt.sends {
				t.Fatalf("fake holds %d messages, want %d", n, tt.sends)
			}
			if m := f.get(t, id); m.Status != tt.want {
				t.Errorf("row = %s, want %s", m.Status, tt.want)
			}
		})
	}
}

// TestReconcileUndecidable: while Twilio cannot be asked, nothing is
// resent and nothing written off; only past GiveUp does the row end
// failed, outcome unknown, and it is counted.
func TestReconcileUndecidable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550408"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindCampaign, to)
	f.fake.Script(to, twiliofake.Error(502, 20500, "Bad Gateway"))
	if err := handler(f.sender()).ProcessTask(context.Background(), sendTask(t, id)); !taskerr.IsPermanent(err) {
		t.Fatalf("ProcessTask() = %v, want permanent", err)
	}
	r := f.reconciler()
	r.Provider = failingLookups{f.provider}
	reg := prometheus.NewRegistry()
	var err error
	if r.Metrics, err = NewReconcileMetrics(reg); err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{time.Second, time.Hour, DefaultGiveUp - time.Second} {
		f.clock.Set(t0.Add(d))
		if err := r.Pass(context.Background()); err != nil {
			t.Fatalf("Pass() = %v", err)
		}
		if m := f.get(t, id); m.Status != outbox.StatusUnknown {
			t.Fatalf("row = %s at +%s, want unknown", m.Status, d)
		}
	}
	f.clock.Set(t0.Add(DefaultGiveUp + 11*DefaultSettle))
	if err := r.Pass(context.Background()); err != nil {
		t.Fatalf("Pass() = %v", err)
	}
	m := f.get(t, id)
	if m.Status != outbox.StatusFailed || !strings.HasPrefix(m.ErrorMessage, "outcome unknown") {
		t.Errorf("row = %s (%q), want failed, outcome unknown", m.Status, m.ErrorMessage)
	}
	if n := testutil.ToFloat64(r.Metrics.Outcomes.WithLabelValues("outcome_unknown")); n != 1 {
		t.Errorf("outcome_unknown counted %v times, want 1", n)
	}
	if n := len(f.fake.SentTo(to)); n != 0 {
		t.Errorf("fake holds %d messages, want none", n)
	}
}

// failingLookups is a provider whose lookups fail, as when Twilio's list
// endpoint is down.
type failingLookups struct{ Provider }

func (failingLookups) Lookup(context.Context, string, string, time.Time) (twilio.Lookup, error) {
	return twilio.Lookup{}, errors.New("twilio list messages: HTTP 503")
}

// TestStatusCallbackResolvesUnknown: a status callback naming an unknown
// row records its SID at once, before any lookup.
func TestStatusCallbackResolvesUnknown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550409"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindReview, to)
	f.fake.Script(to, twiliofake.AcceptThenFail5xx())
	if err := handler(f.sender()).ProcessTask(context.Background(), sendTask(t, id)); !taskerr.IsPermanent(err) {
		t.Fatalf("ProcessTask() = %v, want permanent", err)
	}
	msgs := f.fake.SentTo(to)
	if len(msgs) != 1 {
		t.Fatalf("fake holds %d messages, want 1", len(msgs))
	}
	path, _ := strings.CutPrefix(msgs[0].StatusCallback, publicBase)
	form := url.Values{"MessageSid": {msgs[0].SID}, "MessageStatus": {"sent"}, "AccountSid": {accountSID}, "To": {to}}
	if code, body := signed(t, f.hooks(t), path, form); code/100 != 2 {
		t.Fatalf("callback = %d (%s)", code, body)
	}
	if m := f.get(t, id); m.Status != outbox.StatusSent || m.TwilioSID != msgs[0].SID {
		t.Errorf("row = %s with SID %q, want sent with %s", m.Status, m.TwilioSID, msgs[0].SID)
	}
}

// TestReconcileSweepsPendingRows: a row whose task was lost (a dispatcher
// died between storing and enqueueing) gets its task back; a row whose
// task is still queued is left with that one task, and the pass succeeds.
func TestReconcileSweepsPendingRows(t *testing.T) {
	t.Parallel()
	// The sweep compares updated_at (the database's clock) with the
	// reconciler's: run the reconciler's clock well ahead of it.
	later := time.Now().Add(time.Hour).Truncate(time.Second)
	f := newFixture(t, later)
	salon := f.salon(t, "Uptown", "America/New_York")
	customer := f.customer(t, salon, "+15555550406", true)
	lost := f.message(t, salon, customer, outbox.KindConfirmation, "+15555550406")
	queued := f.message(t, salon, customer, outbox.KindReview, "+15555550406")
	if _, err := f.client.Enqueue(sendTask(t, queued)); err != nil {
		t.Fatal(err)
	}
	if err := f.reconciler().Pass(context.Background()); err != nil {
		t.Fatalf("Pass() = %v, want nil", err)
	}
	got := f.pendingTaskIDs(t)
	slices.Sort(got)
	want := []string{SendTaskID(lost), SendTaskID(queued)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pending tasks = %v, want %v", got, want)
	}
}

// TestReconcileSweepsRowWhoseTaskIsFinished: a pending row whose own task
// is archived (kept a day) gets a task named for its idle episode, once.
func TestReconcileSweepsRowWhoseTaskIsFinished(t *testing.T) {
	t.Parallel()
	later := time.Now().Add(time.Hour).Truncate(time.Second)
	f := newFixture(t, later)
	salon := f.salon(t, "Midtown", "America/New_York")
	customer := f.customer(t, salon, "+15555550407", true)
	id := f.message(t, salon, customer, outbox.KindConfirmation, "+15555550407")
	if _, err := f.client.Enqueue(sendTask(t, id)); err != nil {
		t.Fatal(err)
	}
	if err := f.insp.ArchiveTask(smsQueue, SendTaskID(id)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := f.reconciler().Pass(context.Background()); err != nil {
			t.Fatalf("Pass() = %v", err)
		}
	}
	got := f.pendingTaskIDs(t)
	if len(got) != 1 || !strings.HasPrefix(got[0], SendTaskID(id)+":sweep:") {
		t.Errorf("pending tasks = %v, want one sweep task for row %d", got, id)
	}
}

// campaignOf attaches row id to a new campaign of salon, sending.
func (f *fixture) campaignOf(t testing.TB, salon, id int64) {
	t.Helper()
	_, err := f.pool.Exec(context.Background(), `
		WITH c AS (INSERT INTO campaigns (salon_id, name, body, send_at, status) VALUES ($1, 'Spring', 'Hi', $2, 'sending') RETURNING id)
		UPDATE sms_messages SET campaign_id = (SELECT id FROM c) WHERE id = $3`, salon, t0, id)
	if err != nil {
		t.Fatal(err)
	}
}

// TestReconcileAfterRedisLostItsData: Redis restarted empty, so every task
// is gone. The first pass gives every pending row its task back at once,
// however recently it changed; a row waiting for quiet hours gets its
// scheduled task back. Later passes leave fresh rows alone.
func TestReconcileAfterRedisLostItsData(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Now())
	salon := f.salon(t, "Uptown", "America/New_York")
	customer := f.customer(t, salon, "+15555550410", true)
	r := f.reconciler()
	if err := r.Pass(context.Background()); err != nil { // sets the marker
		t.Fatal(err)
	}
	var fresh []int64
	for range 50 {
		fresh = append(fresh, f.message(t, salon, customer, outbox.KindConfirmation, "+15555550410"))
	}
	waiting := f.message(t, salon, customer, outbox.KindReview, "+15555550410")
	at := time.Now().Add(3 * time.Hour).Truncate(time.Second)
	if _, err := f.pool.Exec(context.Background(), `UPDATE sms_messages SET send_after = $2, wait_reason = 'quiet_hours' WHERE id = $1`, waiting, at); err != nil {
		t.Fatal(err)
	}
	// Redis as it was: the marker is there, fresh rows are not idle.
	if err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.pendingTaskIDs(t); len(got) != 0 {
		t.Fatalf("with Redis intact a pass enqueued %d tasks for fresh rows, want none", len(got))
	}
	if err := f.rdb.Client.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := f.pendingTaskIDs(t)
	slices.Sort(got)
	var want []string
	for _, id := range fresh {
		want = append(want, SendTaskID(id))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after the reset %d pending tasks, want %d (every fresh row's)", len(got), len(want))
	}
	f.wantTaskAt(t, waiting, at)
}
