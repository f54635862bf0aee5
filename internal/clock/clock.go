// Package clock is the one time source convention of the daemon: a
// service that reads the time holds a Clock field, and a nil Clock is the
// wall clock, so production wiring leaves it unset and tests set it.
package clock

import (
	"sync"
	"time"
)

// Clock returns the current time. The zero value (nil) is the wall clock.
type Clock func() time.Time

// Now returns the current time of c, or time.Now when c is nil.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

// Fixed returns a Clock that always answers t.
func Fixed(t time.Time) Clock { return func() time.Time { return t } }

// Manual is a clock that moves only when told; safe for concurrent use.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a Manual clock reading t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Set moves the clock to t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.now = t
	m.mu.Unlock()
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

// Clock returns m as a Clock.
func (m *Manual) Clock() Clock { return m.Now }
