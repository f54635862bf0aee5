package sms

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limiter holds SMS to a rate per sender across every worker, through a
// GCRA limiter in Redis (go-redis/redis_rate): one key per sender, so a
// salon with a sender of its own is never slowed by another's texts.
//
// Transactional texts come first: while one waits for a turn of a sender
// (registered in a Redis sorted set of that sender), review and marketing
// texts take none, so a confirmation gets the sender's next turn however
// large the campaign saturating it. Review and marketing texts that cannot
// go out at once wait in their salon's line of the sender (lines.go) and
// hold no worker: the Feeder hands them the sender's turns in fair turns
// across salons.
type Limiter struct {
	rl     *redis_rate.Limiter
	rdb    redis.UniversalClient
	sender string
	rate   float64
	limit  redis_rate.Limit
	// MaxWait is how long a transactional send waits in place for its
	// turn; a longer wait reschedules the task instead of holding a
	// worker.
	MaxWait time.Duration
}

// Turn is what a send asks the limiter for: a turn of Sender at Rate.
type Turn struct {
	// Sender is the salon's own sender; empty is the platform's.
	Sender string
	// Rate is the salon's messages per second; zero is the platform's.
	Rate float64
	// Transactional texts take the sender's next turn before any review
	// or marketing text.
	Transactional bool
}

// NewLimiter limits the platform's sender to perSecond messages a second
// (fractions allowed: 0.5 is one every two seconds), with no burst; a
// salon's own sender gets its own rate, or perSecond when it has none.
func NewLimiter(rdb redis.UniversalClient, sender string, perSecond float64) (*Limiter, error) {
	limit, err := rateLimit(perSecond)
	if err != nil {
		return nil, err
	}
	return &Limiter{
		rl: redis_rate.NewLimiter(rdb), rdb: rdb, sender: sender, rate: perSecond, limit: limit,
		MaxWait: 2 * time.Second,
	}, nil
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

// PriorityKey is the Redis sorted set of the transactional sends waiting
// for a turn of sender, scored by when their wait ends (Unix ms): a
// waiter whose worker died stops counting then.
func PriorityKey(sender string) string { return "jobs:sms:rate:" + sender + ":transactional" }

// resolve is the sender and the rate of turn.
func (l *Limiter) resolve(turn Turn) (string, float64, redis_rate.Limit, error) {
	sender, rate, limit := l.sender, l.rate, l.limit
	if turn.Sender != "" {
		sender = turn.Sender
	}
	if turn.Rate != 0 {
		var err error
		if limit, err = rateLimit(turn.Rate); err != nil {
			return "", 0, limit, err
		}
		rate = turn.Rate
	}
	return sender, rate, limit, nil
}

// Wait takes a turn of turn's sender. A transactional text waits in place
// up to MaxWait: Wait returns 0 when it may send now, or how long to wait
// when that is longer (the caller reschedules it). A review or marketing
// text never waits: Wait returns 0 when it may go at once (no line on the
// sender, no transactional text waiting, and a turn free), and otherwise
// an estimate of its wait in line, after which the caller lets go of the
// row and puts it in line (Join).
//
// Turns are not queued among transactional texts: every waiter is told
// the next free turn, and only one gets it. The bound is on the whole
// wait, not on each sleep, or a crowd of waiters would hold workers until
// their tasks time out.
func (l *Limiter) Wait(ctx context.Context, turn Turn) (time.Duration, error) {
	sender, rate, limit, err := l.resolve(turn)
	if err != nil {
		return 0, err
	}
	key := RateKey(sender)
	if !turn.Transactional {
		return l.waitBulk(ctx, sender, key, limit, period(rate))
	}
	deadline := time.Now().Add(l.MaxWait)
	// Registered for as long as it may wait, plus a margin: the bulk
	// texts hold back until then, or until it took its turn.
	member := strconv.FormatInt(rand.Int64(), 36)
	pkey := PriorityKey(sender)
	if err := l.rdb.ZAdd(ctx, pkey, redis.Z{Score: float64(deadline.Add(time.Second).UnixMilli()), Member: member}).Err(); err != nil {
		return 0, fmt.Errorf("sms rate limit: %w", err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		l.rdb.ZRem(dctx, pkey, member) // else it lapses at its score
	}()
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

// waitBulk tells a review or marketing text whether it may go now, or how
// long it may expect to wait in line.
func (l *Limiter) waitBulk(ctx context.Context, sender, key string, limit redis_rate.Limit, period time.Duration) (time.Duration, error) {
	inLine, err := l.InLine(ctx, sender)
	if err != nil {
		return 0, err
	}
	if inLine == 0 {
		waiting, err := l.transactionalWaiting(ctx, sender)
		if err != nil {
			return 0, err
		}
		if !waiting {
			res, err := l.rl.Allow(ctx, key, limit)
			if err != nil {
				return 0, fmt.Errorf("sms rate limit: %w", err)
			}
			if res.Allowed > 0 {
				return 0, nil
			}
		}
	}
	return time.Duration(inLine+1) * period, nil
}

// grant takes up to n turns of sender at once for the texts in its lines:
// those whose time has come, or comes within ahead, and none while a
// transactional text waits for the sender. Taking a turn up to ahead early
// means a pass that comes late by as much loses none of the sender's rate;
// a transactional text then waits at most ahead longer than one turn.
func (l *Limiter) grant(ctx context.Context, sender string, period time.Duration, n int, ahead time.Duration) (int, error) {
	if waiting, err := l.transactionalWaiting(ctx, sender); err != nil || waiting {
		return 0, err
	}
	// The limiter's tolerance counts whole emission intervals: a turn is
	// made of tokens tenths of it, so that ahead is honoured to a tenth
	// of a turn. The key's state is a time, so the transactional texts'
	// limit (one interval a turn, no tolerance) shares it exactly.
	const tokens = 10
	unit := max(period/tokens, time.Microsecond)
	limit := redis_rate.Limit{Rate: 1, Period: unit, Burst: tokens + int(math.Ceil(float64(ahead)/float64(unit)))}
	// AllowN takes all it is asked or nothing (AllowAtMost would take a
	// fraction of a turn and lose it): one turn first, then as many of the
	// rest as it reports free.
	res, err := l.rl.AllowN(ctx, RateKey(sender), limit, tokens)
	if err != nil {
		return 0, fmt.Errorf("sms rate limit: %w", err)
	}
	if res.Allowed == 0 {
		return 0, nil
	}
	more := min(n-1, res.Remaining/tokens)
	if more <= 0 {
		return 1, nil
	}
	res, err = l.rl.AllowN(ctx, RateKey(sender), limit, more*tokens)
	if err != nil {
		return 1, fmt.Errorf("sms rate limit: %w", err)
	}
	return 1 + res.Allowed/tokens, nil
}

// transactionalWaiting reports whether a transactional text waits for a
// turn of sender, dropping the registrations that lapsed.
func (l *Limiter) transactionalWaiting(ctx context.Context, sender string) (bool, error) {
	pkey := PriorityKey(sender)
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	pipe := l.rdb.Pipeline()
	pipe.ZRemRangeByScore(ctx, pkey, "-inf", "("+now)
	n := pipe.ZCard(ctx, pkey)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, fmt.Errorf("sms rate limit: %w", err)
	}
	return n.Val() > 0, nil
}
