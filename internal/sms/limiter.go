package sms

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limiter holds SMS to a rate per sender across every worker, through a
// GCRA limiter in Redis (go-redis/redis_rate).
type Limiter struct {
	rl    *redis_rate.Limiter
	key   string
	limit redis_rate.Limit
	// MaxWait is how long a send waits in place for its turn; a longer
	// wait reschedules the task instead of holding a worker.
	MaxWait time.Duration
}

// NewLimiter limits sender to perSecond messages a second (fractions
// allowed: 0.5 is one every two seconds), with no burst.
func NewLimiter(rdb redis.UniversalClient, sender string, perSecond float64) (*Limiter, error) {
	if perSecond <= 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
		return nil, fmt.Errorf("sms rate %v: want a positive number", perSecond)
	}
	// The rate as events per period with a whole number of events.
	limit := redis_rate.Limit{Rate: 1, Burst: 1, Period: time.Duration(float64(time.Second) / perSecond)}
	if perSecond >= 1 && perSecond == math.Trunc(perSecond) {
		limit = redis_rate.Limit{Rate: int(perSecond), Burst: 1, Period: time.Second}
	}
	return &Limiter{rl: redis_rate.NewLimiter(rdb), key: "jobs:sms:rate:" + sender, limit: limit, MaxWait: 2 * time.Second}, nil
}

// Wait takes a turn, sleeping up to MaxWait in all for it. It returns 0
// when the caller may send now, or how long to wait when that is longer.
//
// Turns are not queued: every waiter is told the next free turn, and only
// one gets it, so a waiter may lose again and again. The MaxWait bound is
// on the whole wait, not on each sleep, or a crowd of waiters would hold
// workers until their tasks time out.
func (l *Limiter) Wait(ctx context.Context) (time.Duration, error) {
	deadline := time.Now().Add(l.MaxWait)
	for {
		res, err := l.rl.Allow(ctx, l.key, l.limit)
		if err != nil {
			return 0, fmt.Errorf("sms rate limit: %w", err)
		}
		if res.Allowed > 0 {
			return 0, nil
		}
		if time.Now().Add(res.RetryAfter).After(deadline) {
			return max(res.RetryAfter, l.MaxWait), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(res.RetryAfter):
		}
	}
}
