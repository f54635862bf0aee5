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
// large the campaign saturating it. Bulk texts wait in place only briefly,
// then reserve a later slot in their own line (one per turn, in the order
// they asked) and are rescheduled for it, so they never hold the sms
// queue's worker slots that confirmations and the dispatchers need.
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
	// BulkMaxWait is the same for review and marketing texts back at
	// their reserved slot, kept short: a campaign's sends must not fill
	// the worker slots.
	BulkMaxWait time.Duration
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
	// Rescheduled is a bulk text back at the slot it reserved: it may wait
	// in place (BulkMaxWait) for the turn; a fresh one reserves a slot at
	// once, so that a campaign's fan-out leaves the queue at once.
	Rescheduled bool
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
		MaxWait: 2 * time.Second, BulkMaxWait: 500 * time.Millisecond,
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

// bulkLineKey holds the next free slot (Unix ms) in the line of the review
// and marketing texts rescheduled for a turn of sender.
func bulkLineKey(sender string) string { return "jobs:sms:rate:" + sender + ":bulk" }

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

// Wait takes a turn of turn's sender. It returns 0 when the caller may
// send now, or how long to wait when that is longer than the caller may
// wait in place (MaxWait, or BulkMaxWait for bulk texts).
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
	period := time.Duration(float64(time.Second) / rate)
	if !turn.Transactional {
		// Back at its slot, a bulk text waits in place for about the
		// turn it reserved (two periods), no longer: every worker it
		// holds is one a confirmation may be waiting for.
		inPlace := time.Duration(0)
		if turn.Rescheduled {
			inPlace = min(l.BulkMaxWait, 2*period)
		}
		return l.waitBulk(ctx, sender, key, limit, period, inPlace)
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

// waitBulk takes a turn for a review or marketing text: none while a
// transactional text waits for the sender, a short wait in place, and
// otherwise a slot in the bulk line to be rescheduled for.
func (l *Limiter) waitBulk(ctx context.Context, sender, key string, limit redis_rate.Limit, period, inPlace time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(inPlace)
	for {
		retry := period
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
			retry = res.RetryAfter
		}
		if time.Now().Add(retry).After(deadline) {
			slot, err := l.reserve(ctx, sender, period)
			if err != nil {
				return 0, err
			}
			return max(retry, slot, time.Millisecond), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(retry):
		}
	}
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

// reserveSlot takes the next slot in a sender's bulk line, one period
// after the last one taken (or now), and returns how far away it is.
var reserveSlot = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local period = tonumber(ARGV[1])
redis.call('SET', KEYS[1], slot + period, 'PX', slot + period - now + 60000)
return slot - now
`)

// reserve takes a slot in sender's bulk line.
func (l *Limiter) reserve(ctx context.Context, sender string, period time.Duration) (time.Duration, error) {
	ms, err := reserveSlot.Run(ctx, l.rdb, []string{bulkLineKey(sender)}, max(period.Milliseconds(), 1)).Int64()
	if err != nil {
		return 0, fmt.Errorf("sms rate limit: reserve a slot: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
