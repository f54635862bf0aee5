// Package lease is the one Redis lock of the daemon: a key held by one
// owner with an expiry, acquired with SET NX, and renewed or released only
// by its owner (compare-and-set in Lua). The scheduler's leadership and the
// SMS reconciler's single pass both use it.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease is one lock key. The zero value is not usable; use New.
type Lease struct {
	rdb   redis.UniversalClient
	key   string
	owner string
	ttl   time.Duration
}

// New returns a lease on key for a fresh owner identity, held ttl at a
// time. owner may be empty for a random identity; the scheduler passes its
// instance name so operators can see who leads.
func New(rdb redis.UniversalClient, key, owner string, ttl time.Duration) *Lease {
	if owner == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		owner = hex.EncodeToString(b[:])
	}
	return &Lease{rdb: rdb, key: key, owner: owner, ttl: ttl}
}

// Key returns the Redis key of the lease.
func (l *Lease) Key() string { return l.key }

// Owner returns this holder's identity, the value stored under Key.
func (l *Lease) Owner() string { return l.owner }

// TTL returns how long one acquisition or renewal holds the lease.
func (l *Lease) TTL() time.Duration { return l.ttl }

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

// Acquire takes the lease when it is free. It reports whether this owner
// holds it afterwards (false when another owner does).
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	return l.rdb.SetNX(ctx, l.key, l.owner, l.ttl).Result()
}

// Renew extends the lease by TTL when this owner still holds it, and
// reports whether it does.
func (l *Lease) Renew(ctx context.Context) (bool, error) {
	n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.owner, l.ttl.Milliseconds()).Int()
	return n == 1, err
}

// Release gives the lease up when this owner holds it, so another takes
// over at once. It survives the cancellation of ctx (a release at shutdown
// must still reach Redis) but not its values' absence.
func (l *Lease) Release(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return releaseScript.Run(ctx, l.rdb, []string{l.key}, l.owner).Err()
}

// Holder returns the current owner of the key, or "" when nobody holds it.
func Holder(ctx context.Context, rdb redis.UniversalClient, key string) (string, error) {
	v, err := rdb.Get(ctx, key).Result()
	if err == redis.Nil {
		return "", nil
	}
	return v, err
}
