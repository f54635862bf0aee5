package lease_test

import (
	"context"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/lease"
	"github.com/salonworks/jobs/internal/testenv"
)

func TestOnlyTheOwnerRenewsOrReleases(t *testing.T) {
	r := testenv.NewRedis(t)
	ctx := context.Background()
	a := lease.New(r.Client, "jobs:test:lease", "a", time.Minute)
	b := lease.New(r.Client, "jobs:test:lease", "b", time.Minute)

	if ok, err := a.Acquire(ctx); err != nil || !ok {
		t.Fatalf("a.Acquire = %v, %v; want true", ok, err)
	}
	if ok, err := b.Acquire(ctx); err != nil || ok {
		t.Fatalf("b.Acquire while a holds = %v, %v; want false", ok, err)
	}
	if ok, err := b.Renew(ctx); err != nil || ok {
		t.Fatalf("b.Renew of a's lease = %v, %v; want false", ok, err)
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if h, _ := lease.Holder(ctx, r.Client, a.Key()); h != "a" {
		t.Fatalf("after b.Release the holder is %q, want a", h)
	}
	if ok, err := a.Renew(ctx); err != nil || !ok {
		t.Fatalf("a.Renew = %v, %v; want true", ok, err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := a.Release(canceled); err != nil {
		t.Fatalf("Release with a cancelled context: %v", err)
	}
	if h, _ := lease.Holder(ctx, r.Client, a.Key()); h != "" {
		t.Fatalf("after a.Release the holder is %q, want none", h)
	}
	if ok, err := b.Acquire(ctx); err != nil || !ok {
		t.Fatalf("b.Acquire after release = %v, %v; want true", ok, err)
	}
}

func TestLeaseExpires(t *testing.T) {
	r := testenv.NewRedis(t)
	ctx := context.Background()
	a := lease.New(r.Client, "jobs:test:lease", "", 50*time.Millisecond)
	if a.Owner() == "" {
		t.Fatal("empty owner not replaced by a random identity")
	}
	if ok, _ := a.Acquire(ctx); !ok {
		t.Fatal("Acquire failed")
	}
	b := lease.New(r.Client, "jobs:test:lease", "", time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ok, err := b.Acquire(ctx); err != nil {
			t.Fatal(err)
		} else if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired lease was never free")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
