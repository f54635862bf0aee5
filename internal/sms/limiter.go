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
// GCRA limiter in Redis (go-redis/redis_rate): one key per sender, so a
// salon with a sender of its own is never slowed by another's texts.
type Limiter struct {
	rl     *redis_rate.Limiter
	sender string
	limit  redis_rate.Limit
	// MaxWait is how long a send waits in place for its turn; a longer
	// wait reschedules the task instead of holding a worker.
	MaxWait time.Duration
}

// Turn is what a send asks the limiter for: a turn of Sender at Rate.
type Turn struct {
	// Sender is the salon's own sender; empty is the platform's.
	Sender string
	// Rate is the salon's messages per second; zero is the platform's.
	Rate float64
}

// NewLimiter limits the platform's sender to perSecond messages a second
// (fractions allowed: 0.5 is one every two seconds), with no burst; a
// salon's own sender gets its own rate, or perSecond when it has none.
func NewLimiter(rdb redis.UniversalClient, sender string, perSecond float64) (*Limiter, error) {
	limit, err := rateLimit(perSecond)
	if err != nil {
		return nil, err
	}
	return &Limiter{rl: redis_rate.NewLimiter(rdb), sender: sender, limit: limit, MaxWait: 2 * time.Second}, nil
}

// rateLimit is perSecond as events per period with a whole number of
// events, and no burst.
func rateLimit(perSecond float64) (redis_rate.Limit, error) {
	if perSecond <= 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
		return redis_rate.Limit{}, fmt.Errorf("sms rate %v: want a positive number", perSecond)
	}
	if perSecond >= 1 && perSecond == math.Trunc(perSecond) {
		return redis_rate.Limit{Rate: int(perSecond), Burst: 1, Period: time.Second}, nil
	}
	return redis_rate.Limit{Rate: 1, Burst: 1, Period: time.Duration(float64(time.Second) / perSecond)}, nil
}

// RateKey is the Redis key of sender's turns.
func RateKey(sender string) string { return "jobs:sms:rate:" + sender }

// key and limit are the Redis key and the rate of turn.
func (l *Limiter) key(turn Turn) (string, redis_rate.Limit, error) {
	sender, limit := l.sender, l.limit
	if turn.Sender != "" {
		sender = turn.Sender
	}
	if turn.Rate != 0 {
		var err error
		if limit, err = rateLimit(turn.Rate); err != nil {
			return "", limit, err
		}
	}
	return RateKey(sender), limit, nil
}

// Wait takes a turn of turn's sender, sleeping up to MaxWait in all for
// it. It returns 0 when the caller may send now, or how long to wait when
// that is longer.
//
// Turns are not queued: every waiter is told the next free turn, and only
// one gets it, so a waiter may lose again and again. The MaxWait bound is
// on the whole wait, not on each sleep, or a crowd of waiters would hold
// workers until their tasks time out.
func (l *Limiter) Wait(ctx context.Context, turn Turn) (time.Duration, error) {
	key, limit, err := l.key(turn)
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(l.MaxWait)
	for {
		res, err := l.rl.Allow(ctx, key, limit)
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
