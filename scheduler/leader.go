package scheduler

import (
	"context"
	"time"

	"github.com/salonworks/jobs/internal/lease"
)

// leadership is the scheduler's hold on the Redis lease, with a local
// deadline: a holder stops acting as leader a safety margin before its
// lease can have expired in Redis, so two processes never both believe they
// lead, even when a renewal's answer is slow or lost.
type leadership struct {
	lease  *lease.Lease
	margin time.Duration

	until time.Time // local deadline of the current lease; zero when not held
}

// held reports whether the lease is ours at now.
func (l *leadership) held(now time.Time) bool { return now.Before(l.until) }

// refresh acquires the lease when it is free, or renews it when it is ours.
// It returns whether the lease is held afterwards.
func (l *leadership) refresh(ctx context.Context, now time.Time) (bool, error) {
	start := now
	var ok bool
	var err error
	if l.held(now) {
		if ok, err = l.lease.Renew(ctx); err != nil {
			return l.held(now), err
		}
	} else if ok, err = l.lease.Acquire(ctx); err != nil {
		return false, err
	}
	if ok {
		// Measured from before the request: Redis's expiry starts later,
		// so ours always ends first.
		l.until = start.Add(l.lease.TTL() - l.margin)
	} else {
		l.until = time.Time{}
	}
	return ok, nil
}

// release gives the lease up so a follower takes over at once.
func (l *leadership) release(ctx context.Context) error {
	l.until = time.Time{}
	return l.lease.Release(ctx)
}
