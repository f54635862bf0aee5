package sms

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
	"github.com/salonworks/jobs/internal/taskerr"
)

// pastGrace is later than any claim made at t0 by more than both
// outbox.StuckAfter and the reconciler's default grace period.
const pastGrace = outbox.StuckAfter + 10*time.Minute + time.Minute

func TestReconcileAcceptedThen5xx(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550401"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	f.fake.Script(to, twiliofake.AcceptThenFail5xx())
	s := f.sender()

	if err := s.ProcessTask(context.Background(), sendTask(t, id)); !taskerr.IsPermanent(err) {
		t.Fatalf("ProcessTask() = %v, want a permanent error", err)
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
// dies before calling Twilio. The reconciler takes the stuck row for a lost
// answer, finds nothing at Twilio, and after the grace period sends the
// confirmation again: once.
func TestReconcileWorkerKilledBetweenClaimAndSend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550402"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	if _, err := f.store.Claim(context.Background(), id, t0); err != nil {
		t.Fatal(err)
	}
	s, r := f.sender(), f.reconciler()

	// Its task is delivered again meanwhile: it must not take the row over.
	if err := s.ProcessTask(context.Background(), sendTask(t, id)); err != nil {
		t.Fatalf("redelivered ProcessTask() = %v", err)
	}
	// Before StuckAfter the worker may still be alive: hands off.
	f.clock.Set(t0.Add(outbox.StuckAfter - time.Second))
	if err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := f.get(t, id); m.Status != outbox.StatusSending {
		t.Fatalf("row = %s before StuckAfter, want still sending", m.Status)
	}
	// Stuck, then unknown, but within the grace period: not resent yet.
	f.clock.Set(t0.Add(outbox.StuckAfter + time.Second))
	if err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := f.get(t, id); m.Status != outbox.StatusUnknown {
		t.Fatalf("row = %s after StuckAfter, want unknown", m.Status)
	}
	if ran, errs := f.drain(t, f.handlers(s)); len(errs) > 0 || len(f.fake.SentTo(to)) != 0 {
		t.Fatalf("within the grace period: %d tasks ran (errors %v), fake holds %d messages; want none sent", ran, errs, len(f.fake.SentTo(to)))
	}
	// Past the grace period: sent again, exactly once.
	f.clock.Set(t0.Add(pastGrace))
	if err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, errs := f.drain(t, f.handlers(s)); len(errs) > 0 {
		t.Fatalf("resend tasks failed: %v", errs)
	}
	if err := r.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.drain(t, f.handlers(s))
	at := f.fake.SentTo(to)
	if len(at) != 1 {
		t.Fatalf("fake holds %d messages, want exactly 1", len(at))
	}
	if m := f.get(t, id); m.Status != outbox.StatusSent || m.TwilioSID != at[0].SID || m.Attempts != 2 {
		t.Errorf("row = %s, SID %q, attempts %d; want sent with %s after 2 attempts", m.Status, m.TwilioSID, m.Attempts, at[0].SID)
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
			if err := s.ProcessTask(context.Background(), sendTask(t, id)); !errors.Is(err, died) {
				t.Fatalf("ProcessTask() = %v, want the seam's error", err)
			}
			if m := f.get(t, id); m.Status != outbox.StatusSending {
				t.Fatalf("row = %s, want sending (sent but not recorded)", m.Status)
			}
			// asynq delivers the task again, to a healthy worker.
			if err := f.sender().ProcessTask(context.Background(), sendTask(t, id)); err != nil {
				t.Fatalf("redelivered ProcessTask() = %v", err)
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

// TestReconcileUnknownMarketingNotResent: an unknown campaign text that
// Twilio has no trace of is marked failed after the grace period, never
// sent again.
func TestReconcileUnknownMarketingNotResent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550405"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindCampaign, to)
	f.fake.Script(to, twiliofake.Error(502, 20500, "Bad Gateway"))
	s := f.sender()
	if err := s.ProcessTask(context.Background(), sendTask(t, id)); !taskerr.IsPermanent(err) {
		t.Fatalf("ProcessTask() = %v, want permanent", err)
	}
	f.clock.Set(t0.Add(pastGrace))
	if err := f.reconciler().Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.drain(t, f.handlers(s))
	if m := f.get(t, id); m.Status != outbox.StatusFailed {
		t.Errorf("row = %s, want failed", m.Status)
	}
	if n := len(f.fake.SentTo(to)); n != 0 {
		t.Errorf("fake holds %d messages, want none", n)
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
