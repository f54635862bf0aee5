package admin

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// maxTracked bounds the sources the limiter remembers. Past it, sources
// whose budget has refilled are forgotten; if that is not enough (a flood
// from more distinct sources than this), everything is forgotten, which
// costs at most one more burst of guesses per source.
const maxTracked = 100_000

// failureLimiter bounds login attempts that fail, per source, with a token
// bucket: a source may fail burst times in a row, then once per
// window/burst. Every attempt takes a token before its password is
// checked and a successful one gives it back, so concurrent guesses cannot
// outrun the bucket, and while it is empty every attempt from the source,
// right or wrong, is answered 429: the answer never tells a guesser which
// guess was right. (x/time/rate cannot give a token back once its time
// has passed, hence this small bucket.)
type failureLimiter struct {
	perSecond float64
	burst     float64
	now       func() time.Time

	mu      sync.Mutex
	sources map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newFailureLimiter(burst int, window time.Duration, now func() time.Time) *failureLimiter {
	return &failureLimiter{
		perSecond: float64(burst) / window.Seconds(),
		burst:     float64(burst),
		now:       now,
		sources:   map[netip.Prefix]*bucket{},
	}
}

// refill brings b up to now; l.mu is held.
func (l *failureLimiter) refill(b *bucket, now time.Time) {
	if now.After(b.at) {
		b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.perSecond)
		b.at = now
	}
}

// take spends one attempt of src. It returns 0, or, when src has none
// left, how long until it has one again.
func (l *failureLimiter) take(src netip.Prefix) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.sources[src]
	if !ok {
		if len(l.sources) >= maxTracked {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.sources[src] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.perSecond * float64(time.Second))
	}
	b.tokens--
	return 0
}

// refund gives back the attempt of a login that succeeded.
func (l *failureLimiter) refund(src netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.sources[src]; ok {
		b.tokens = min(l.burst, b.tokens+1)
	}
}

// sweep forgets the sources whose bucket is full again; l.mu is held.
func (l *failureLimiter) sweep(now time.Time) {
	for k, b := range l.sources {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.sources, k)
		}
	}
	if len(l.sources) >= maxTracked {
		clear(l.sources)
	}
}

// retryAfter renders d as whole seconds for a Retry-After header, at
// least 1.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
