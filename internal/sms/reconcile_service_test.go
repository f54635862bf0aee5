package sms

import (
	"context"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/lease"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/testenv"
)

// TestReconcilePassesOneAtATime: while another worker holds the
// reconciler's lease, a pass does nothing; a pass gives the lease back
// when it is done, so the next one runs.
func TestReconcilePassesOneAtATime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550409"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	if _, err := f.store.Claim(context.Background(), id, t0); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(outbox.StuckAfter + time.Second))
	ctx := context.Background()
	other := lease.New(f.rdb.Client, reconcileLease, "other-worker", time.Minute)
	if ok, err := other.Acquire(ctx); err != nil || !ok {
		t.Fatalf("other worker's Acquire() = %v, %v", ok, err)
	}
	r := f.reconciler()
	if err := r.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if m := f.get(t, id); m.Status != outbox.StatusSending {
		t.Fatalf("row = %s while another worker reconciles, want untouched (sending)", m.Status)
	}
	if holder, err := lease.Holder(ctx, f.rdb.Client, reconcileLease); err != nil || holder != "other-worker" {
		t.Fatalf("lease holder = %q, %v; want the other worker's, untouched", holder, err)
	}
	if err := other.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if m := f.get(t, id); m.Status == outbox.StatusSending {
		t.Fatalf("row still sending after the pass, want it taken from the dead worker")
	}
	if holder, err := lease.Holder(ctx, f.rdb.Client, reconcileLease); err != nil || holder != "" {
		t.Errorf("lease holder after the pass = %q, %v; want released", holder, err)
	}
}

// TestReconcilerRunsAsAService: started, the reconciler passes on its own
// (a send stuck past StuckAfter is taken from its dead worker); Shutdown
// returns.
func TestReconcilerRunsAsAService(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550410"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	if _, err := f.store.Claim(context.Background(), id, t0); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(outbox.StuckAfter + time.Second))
	r := f.reconciler()
	r.Interval = 10 * time.Millisecond
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown()
	testenv.WaitFor(t, 10*time.Second, "a pass to take the stuck send from its dead worker", func() bool {
		return f.get(t, id).Status != outbox.StatusSending
	})
}
