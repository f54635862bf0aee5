package sms

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/sms/outbox"
)

// Review and marketing texts that cannot go out at once wait for a turn of
// their sender in lines kept in Redis: one line per salon and sender,
// ordered by outbox row (so a salon's texts keep their order), and a ring
// of the salons with texts waiting on the sender. The Feeder takes the
// sender's turns as they come and hands each to the salon whose tag in the
// ring is lowest, then raises that tag by one: start-time fair queuing, so
// salons that share a sender share its rate in turn, and a salon whose line
// starts late joins at the ring's lowest tag rather than at zero (no burst
// of turns to catch up). A salon with a sender of its own has a ring of its
// own and is never slowed by another's line.
//
// The lines only order the work: every text in one is a pending outbox row
// with wait_reason rate_limited and a send_after past which the
// reconciler's sweep gives it a task again, so a line lost with Redis loses
// no text, and a text that appears twice in a line is there once (the row
// is its member).

// linesKey is the hash of the senders with texts in line: sender → the
// period between its turns, in microseconds.
const linesKey = "jobs:sms:lines"

// ringKey is the sorted set of the salons with texts in line for sender,
// scored by their tags.
func ringKey(sender string) string { return "jobs:sms:line:" + sender }

// lineKey is the line of salon's texts for sender, a sorted set of outbox
// rows scored by their ID.
func lineKey(sender string, salon int64) string {
	return ringKey(sender) + ":" + strconv.FormatInt(salon, 10)
}

// countKey counts the texts in every line of sender.
func countKey(sender string) string { return ringKey(sender) + ":count" }

// joinLine puts rows in their salon's line of a sender and the salon in the
// sender's ring (at the lowest tag there, or 0), and returns how many texts
// the sender's lines hold.
//
// KEYS: ring, line, count, lines hash. ARGV: salon, sender, period µs, rows.
var joinLine = redis.NewScript(`
local added = 0
for i = 4, #ARGV do
  added = added + redis.call('ZADD', KEYS[2], 'NX', ARGV[i], ARGV[i])
end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then
  local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local tag = 0
  if head[2] then tag = tonumber(head[2]) end
  redis.call('ZADD', KEYS[1], tag, ARGV[1])
end
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
return redis.call('INCRBY', KEYS[3], added)
`)

// takeFromLines takes up to ARGV[2] rows from sender's lines, one at a
// time from the salon with the lowest tag, and returns them as row, salon
// pairs. A sender whose lines are empty leaves the lines hash.
//
// KEYS: ring, count, lines hash. ARGV: sender, n, line key prefix.
var takeFromLines = redis.NewScript(`
local out = {}
for i = 1, tonumber(ARGV[2]) do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if not head[1] then break end
  local line = ARGV[3] .. head[1]
  local row = redis.call('ZPOPMIN', line)
  if row[1] then
    out[#out + 1] = row[1]
    out[#out + 1] = head[1]
    redis.call('DECR', KEYS[2])
  end
  if redis.call('ZCARD', line) == 0 then
    redis.call('ZREM', KEYS[1], head[1])
  else
    redis.call('ZADD', KEYS[1], tonumber(head[2]) + 1, head[1])
  end
end
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[2])
end
return out
`)

// lined is a text taken from a line: its outbox row and salon.
type lined struct {
	Row, Salon int64
}

// period is the time between two turns at rate.
func period(rate float64) time.Duration { return time.Duration(float64(time.Second) / rate) }

// Join puts rows of salon in line for a turn of turn's sender, and returns
// how many texts wait in the sender's lines, this one included.
func (l *Limiter) Join(ctx context.Context, turn Turn, salon int64, rows ...int64) (int64, error) {
	sender, rate, _, err := l.resolve(turn)
	if err != nil {
		return 0, err
	}
	args := make([]any, 0, 3+len(rows))
	args = append(args, salon, sender, max(period(rate).Microseconds(), 1))
	for _, r := range rows {
		args = append(args, r)
	}
	n, err := joinLine.Run(ctx, l.rdb, []string{ringKey(sender), lineKey(sender, salon), countKey(sender), linesKey}, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("sms line of salon %d: %w", salon, err)
	}
	return n, nil
}

// lineTurn is the turn of salon's sender, and the send_after of n more of
// its texts put in line at now: past their expected turn (a turn each for
// every text in the sender's lines and for them) by the store's
// StuckAfter, after which the sweep looks for them should the line be
// lost (see Sender.joinLine).
func (l *Limiter) lineTurn(ctx context.Context, store *outbox.Store, salon int64, n int, now time.Time) (Turn, time.Time, error) {
	turn, err := salonTurn(ctx, store, salon)
	if err != nil {
		return Turn{}, time.Time{}, err
	}
	sender, rate, _, err := l.resolve(turn)
	if err != nil {
		return Turn{}, time.Time{}, err
	}
	in, err := l.InLine(ctx, sender)
	if err != nil {
		return Turn{}, time.Time{}, err
	}
	return turn, now.Add(time.Duration(in+int64(n))*period(rate) + store.StuckAfter()), nil
}

// InLine is how many texts wait in the lines of sender (empty: the
// platform's).
func (l *Limiter) InLine(ctx context.Context, sender string) (int64, error) {
	if sender == "" {
		sender = l.sender
	}
	n, err := l.rdb.Get(ctx, countKey(sender)).Int64()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sms line of %s: %w", sender, err)
	}
	return n, nil
}

// take takes up to n texts from sender's lines, in fair turns.
func (l *Limiter) take(ctx context.Context, sender string, n int) ([]lined, error) {
	res, err := takeFromLines.Run(ctx, l.rdb, []string{ringKey(sender), countKey(sender), linesKey}, sender, n, ringKey(sender)+":").Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("take from the sms lines of %s: %w", sender, err)
	}
	out := make([]lined, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		out = append(out, lined{Row: res[i], Salon: res[i+1]})
	}
	return out, nil
}

// lineSenders returns the senders with texts in line, and the period of
// each.
func (l *Limiter) lineSenders(ctx context.Context) (map[string]time.Duration, error) {
	h, err := l.rdb.HGetAll(ctx, linesKey).Result()
	if err != nil {
		return nil, fmt.Errorf("read the sms lines: %w", err)
	}
	out := make(map[string]time.Duration, len(h))
	for sender, us := range h {
		p, err := strconv.ParseInt(us, 10, 64)
		if err != nil || p <= 0 {
			p = int64(time.Second / time.Microsecond)
		}
		out[sender] = time.Duration(p) * time.Microsecond
	}
	return out, nil
}
