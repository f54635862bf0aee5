package scheduler

import (
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/lease"
	"github.com/salonworks/jobs/internal/testenv"
)

// TestLeadershipEndsBeforeTheLease checks the local margin: a leader stops
// believing it leads a margin before its lease can expire in Redis, so it has
// stopped before another process can take the key; a renewal moves that
// deadline, and a release hands the key over at once.
func TestLeadershipEndsBeforeTheLease(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	ctx := t.Context()
	clk := clock.NewManual(time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC))
	const ttl, margin = 10 * time.Second, 2 * time.Second
	a := &leadership{lease: lease.New(r.Client, LeaderKey, "a", ttl), margin: margin}
	b := &leadership{lease: lease.New(r.Client, LeaderKey, "b", ttl), margin: margin}

	if ok, err := a.refresh(ctx, clk.Now()); err != nil || !ok {
		t.Fatalf("a: refresh = %v, %v; want the free lease", ok, err)
	}
	if ok, err := b.refresh(ctx, clk.Now()); err != nil || ok {
		t.Fatalf("b: refresh = %v, %v; want refused while a holds it", ok, err)
	}
	clk.Advance(ttl - margin - time.Millisecond)
	if !a.held(clk.Now()) {
		t.Error("a no longer leads just before its margin")
	}
	clk.Advance(time.Millisecond)
	if a.held(clk.Now()) {
		t.Error("a still leads at its margin before the lease's expiry")
	}
	if ttl, err := r.Client.PTTL(ctx, LeaderKey).Result(); err != nil || ttl <= 0 {
		t.Errorf("lease TTL in Redis = %v, %v; the local deadline must come first", ttl, err)
	}

	// Renewed while held, the deadline moves on from the renewal.
	clk.Advance(-time.Second)
	if ok, err := a.refresh(ctx, clk.Now()); err != nil || !ok {
		t.Fatalf("a: renew = %v, %v", ok, err)
	}
	if want := clk.Now().Add(ttl - margin); !a.until.Equal(want) {
		t.Errorf("a leads until %s after renewing, want %s", a.until, want)
	}

	if err := a.release(ctx); err != nil {
		t.Fatal(err)
	}
	if a.held(clk.Now()) {
		t.Error("a still leads after releasing")
	}
	if ok, err := b.refresh(ctx, clk.Now()); err != nil || !ok {
		t.Fatalf("b: refresh after a's release = %v, %v; want the lease", ok, err)
	}
	if holder, err := lease.Holder(ctx, r.Client, LeaderKey); err != nil || holder != "b" {
		t.Errorf("holder = %q, %v; want b", holder, err)
	}
}
