package clock

import (
	"testing"
	"time"
)

func TestNilClockIsTheWallClock(t *testing.T) {
	var c Clock
	before := time.Now()
	got := c.Now()
	if got.Before(before) || got.After(time.Now()) {
		t.Fatalf("nil clock read %v, not between %v and now", got, before)
	}
}

func TestManualMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 3, 8, 6, 59, 0, 0, time.UTC)
	m := NewManual(start)
	c := m.Clock()
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	m.Advance(90 * time.Second)
	if want := start.Add(90 * time.Second); !c.Now().Equal(want) {
		t.Fatalf("after Advance: %v, want %v", c.Now(), want)
	}
	m.Set(start)
	if !Fixed(start).Now().Equal(c.Now()) {
		t.Fatalf("after Set: %v, want %v", c.Now(), start)
	}
}
