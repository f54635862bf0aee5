package scheduler

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// lease is leadership held through one Redis key with an expiry. Only the
// holder renews or releases it (compare-and-set in Lua), and a holder stops
// acting as leader a safety margin before its lease can have expired in
// Redis, so two processes never both believe they lead.
type lease struct {
	rdb    redis.UniversalClient
	key    string
	id     string
	ttl    time.Duration
	margin time.Duration

	until time.Time // local deadline of the current lease; zero when not held
}

var renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// held reports whether the lease is ours at now.
func (l *lease) held(now time.Time) bool { return now.Before(l.until) }

// refresh acquires the lease when it is free, or renews it when it is ours.
// It returns whether the lease is held afterwards.
func (l *lease) refresh(ctx context.Context, now time.Time) (bool, error) {
	start := now
	var ok bool
	if l.held(now) {
		n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.id, l.ttl.Milliseconds()).Int()
		if err != nil {
			return l.held(now), err
		}
		ok = n == 1
	} else {
		set, err := l.rdb.SetNX(ctx, l.key, l.id, l.ttl).Result()
		if err != nil {
			return false, err
		}
		ok = set
	}
	if ok {
		// Measured from before the request: Redis's expiry starts later,
		// so ours always ends first.
		l.until = start.Add(l.ttl - l.margin)
	} else {
		l.until = time.Time{}
	}
	return ok, nil
}

// release gives the lease up so a follower takes over at once.
func (l *lease) release(ctx context.Context) error {
	l.until = time.Time{}
	return releaseScript.Run(ctx, l.rdb, []string{l.key}, l.id).Err()
}
