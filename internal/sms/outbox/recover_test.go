package outbox

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/postgres/outboxkit"
)

func TestClaimTakesOverOnlyAStaleClaimThatNeverReachedTwilio(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	unhanded, handed := f.create(t), f.create(t)
	first, err := f.store.Claim(ctx, unhanded, t0)
	if err != nil || first.Handover != HandoverClaimed {
		t.Fatalf("Claim() = %+v, %v; want handover claimed", first.Handover, err)
	}
	hm, err := f.store.Claim(ctx, handed, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkHanded(ctx, handed, hm.ClaimedAt, t0.Add(time.Second), ""); err != nil {
		t.Fatal(err)
	}

	// A live claim is not taken over.
	var se *StateError
	_, err = f.store.Claim(ctx, unhanded, t0.Add(StuckAfter/2))
	if !errors.Is(err, ErrNotClaimable) || !errors.As(err, &se) || se.Status != StatusSending {
		t.Fatalf("Claim of a live claim = %v, want ErrNotClaimable (sending)", err)
	}
	// A stale one that never reached Twilio is, without a second attempt.
	later := t0.Add(StuckAfter + time.Second)
	m, err := f.store.Claim(ctx, unhanded, later)
	if err != nil || m.Attempts != 1 || !m.ClaimedAt.Equal(later) {
		t.Fatalf("Claim of a stale claim = attempts %d at %s, %v; want 1 at %s", m.Attempts, m.ClaimedAt, err, later)
	}
	// The first worker, back from the dead, may not hand its claim over.
	if err := f.store.MarkHanded(ctx, unhanded, first.ClaimedAt, later, ""); !errors.Is(err, ErrTransition) {
		t.Errorf("MarkHanded under a claim taken over = %v, want ErrTransition", err)
	}
	if err := f.store.MarkHanded(ctx, unhanded, m.ClaimedAt, later, ""); err != nil {
		t.Errorf("MarkHanded under the current claim = %v", err)
	}
	if err := f.store.MarkHanded(ctx, unhanded, m.ClaimedAt, later, ""); !errors.Is(err, ErrTransition) {
		t.Errorf("second MarkHanded = %v, want ErrTransition", err)
	}
	// A handed claim is never taken over, however old: Twilio may have it.
	if _, err := f.store.Claim(ctx, handed, t0.Add(time.Hour)); !errors.Is(err, ErrNotClaimable) {
		t.Errorf("Claim of a handed row = %v, want ErrNotClaimable", err)
	}
}

func TestStaleClaimsAndStuckSends(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := t0.Add(10 * time.Minute)
	claim := func(at time.Time, hand bool) int64 {
		id := f.create(t)
		m, err := f.store.Claim(ctx, id, at)
		if err != nil {
			t.Fatal(err)
		}
		if hand {
			if err := f.store.MarkHanded(ctx, id, m.ClaimedAt, at, ""); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	staleClaim := claim(t0, false)
	staleHanded := claim(t0, true)
	freshClaim := claim(now.Add(-StuckAfter/2), false)
	freshHanded := claim(now.Add(-StuckAfter/2), true)
	// A claim made by a daemon that did not record hand-overs.
	legacy := claim(t0, false)
	if _, err := f.pool.Exec(ctx, `UPDATE sms_messages SET handover = NULL WHERE id = $1`, legacy); err != nil {
		t.Fatal(err)
	}

	released, err := f.store.ReleaseStaleClaims(ctx, now, 100)
	if err != nil || !slices.Equal(released, []int64{staleClaim}) {
		t.Fatalf("ReleaseStaleClaims() = %v, %v; want [%d]", released, err, staleClaim)
	}
	if m := f.get(t, staleClaim); m.Status != StatusPending || m.Attempts != 0 || !m.ClaimedAt.IsZero() || m.Handover != "" {
		t.Errorf("released row = %s, attempts %d, claimed %s, handover %q; want pending, 0, none", m.Status, m.Attempts, m.ClaimedAt, m.Handover)
	}
	n, err := f.store.MarkStuckUnknown(ctx, now, 100)
	if err != nil || n != 2 {
		t.Fatalf("MarkStuckUnknown() = %d, %v; want 2", n, err)
	}
	for _, id := range []int64{staleHanded, legacy} {
		if m := f.get(t, id); m.Status != StatusUnknown || !m.HandedAt.Equal(t0) || !m.Since().Equal(t0) {
			t.Errorf("row %d = %s handed at %s, want unknown handed at %s", id, m.Status, m.HandedAt, t0)
		}
	}
	for _, id := range []int64{freshClaim, freshHanded} {
		if m := f.get(t, id); m.Status != StatusSending {
			t.Errorf("fresh row %d = %s, want sending", id, m.Status)
		}
	}
	inflight, err := f.store.ListInFlightTo(ctx, f.message().To)
	if err != nil || !slices.Equal(ids(inflight), []int64{staleHanded, legacy, freshHanded}) {
		t.Errorf("ListInFlightTo() = %v, %v; want [%d %d %d]", ids(inflight), err, staleHanded, legacy, freshHanded)
	}
}

func TestUnknownLookupBookkeeping(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.create(t), f.create(t)
	for _, id := range []int64{a, b} {
		if _, err := f.store.Claim(ctx, id, t0); err != nil {
			t.Fatal(err)
		}
		if err := f.store.MarkUnknown(ctx, id, errors.New("twilio 500: "+strings.Repeat("x", 2000))); err != nil {
			t.Fatal(err)
		}
	}
	if m := f.get(t, a); len([]rune(m.ErrorMessage)) != outboxkit.MaxError {
		t.Errorf("stored error message is %d characters, want it cut to %d", len([]rune(m.ErrorMessage)), outboxkit.MaxError)
	}
	due := func(at time.Time) []int64 {
		t.Helper()
		list, err := f.store.ListUnknown(ctx, at, 100)
		if err != nil {
			t.Fatal(err)
		}
		return ids(list)
	}
	if got := due(t0); !slices.Equal(got, []int64{a, b}) {
		t.Fatalf("ListUnknown() = %v, want [%d %d]", got, a, b)
	}
	first, err := f.store.RecordAbsent(ctx, a, t0, t0.Add(time.Minute))
	if err != nil || !first.Equal(t0) {
		t.Fatalf("RecordAbsent() = %s, %v; want %s", first, err, t0)
	}
	if err := f.store.RecordLookupFailed(ctx, b, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := due(t0.Add(30 * time.Second)); len(got) != 0 {
		t.Errorf("ListUnknown() before either is due = %v, want none", got)
	}
	if got := due(t0.Add(time.Minute)); !slices.Equal(got, []int64{a}) {
		t.Errorf("ListUnknown() when a is due = %v, want [%d]", got, a)
	}
	// The second absence keeps the first's time: that is what the settle
	// interval is measured from.
	again, err := f.store.RecordAbsent(ctx, a, t0.Add(time.Minute), t0.Add(2*time.Minute))
	if err != nil || !again.Equal(t0) {
		t.Errorf("second RecordAbsent() = %s, %v; want %s", again, err, t0)
	}
	if m := f.get(t, b); m.LookupsFailed != 1 || !m.AbsentAt.IsZero() {
		t.Errorf("row b = %d failed lookups, absent at %s; want 1, never", m.LookupsFailed, m.AbsentAt)
	}

	if err := f.store.Reopen(ctx, a); err != nil {
		t.Fatal(err)
	}
	if m := f.get(t, a); m.Status != StatusPending || !m.AbsentAt.IsZero() || !m.LookupAfter.IsZero() || m.Handover != "" || m.Attempts != 1 {
		t.Errorf("reopened row = %+v", m)
	}
	if _, err := f.store.RecordAbsent(ctx, a, t0, t0); !errors.Is(err, ErrTransition) {
		t.Errorf("RecordAbsent of a pending row = %v, want ErrTransition", err)
	}
	if err := f.store.MarkFoundUnattributed(ctx, b, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if m := f.get(t, b); m.Status != StatusSent || m.TwilioSID != "" {
		t.Errorf("found row = %s with SID %q, want sent with none", m.Status, m.TwilioSID)
	}
}

func TestRecordedSIDsAndIdlePending(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	sent, idle, waiting, fresh := f.create(t), f.create(t), f.create(t), f.create(t)
	f.force(t, sent, StatusSent)
	got, err := f.store.RecordedSIDs(ctx, []string{"SM-none", f.get(t, sent).TwilioSID})
	if err != nil || len(got) != 1 || !got[f.get(t, sent).TwilioSID] {
		t.Errorf("RecordedSIDs() = %v, %v", got, err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE sms_messages SET updated_at = $2 WHERE id = $1`, idle, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE sms_messages SET send_after = $2, updated_at = $3 WHERE id = $1`, waiting, t0.Add(time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(5 * time.Minute)
	list, err := f.store.ListIdlePending(ctx, now, false, 0, 100)
	if err != nil || len(list) != 1 || list[0].ID != idle {
		t.Errorf("ListIdlePending() = %v, %v; want only %d", list, err, idle)
	}
	list, err = f.store.ListIdlePending(ctx, now, true, 0, 100)
	if err != nil || len(list) != 2 || list[1].ID != waiting || !list[1].SendAfter.Equal(t0.Add(time.Hour)) {
		t.Errorf("ListIdlePending(with waiting) = %v, %v; want %d and %d", list, err, idle, waiting)
	}
	list, err = f.store.ListIdlePending(ctx, now, true, idle, 100)
	if err != nil || len(list) != 1 || list[0].ID != waiting {
		t.Errorf("ListIdlePending(after %d) = %v, %v; want only %d", idle, list, err, waiting)
	}
	_ = fresh
}
