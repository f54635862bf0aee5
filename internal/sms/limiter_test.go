package sms

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/testenv"
)

// TestNewLimiter checks the rates NewLimiter accepts and the spacing each
// one gives: after one send, the next turn is 1/rate away.
func TestNewLimiter(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	tests := []struct {
		name     string
		rate     float64
		interval time.Duration // between two turns; 0 when refused
	}{
		{"one every two seconds", 0.5, 2 * time.Second},
		{"fractional above one", 2.5, 400 * time.Millisecond},
		{"one a second", 1, time.Second},
		{"integer", 20, 50 * time.Millisecond},
		{"effectively off", 1e6, time.Microsecond},
		{"zero", 0, 0},
		{"negative", -1, 0},
		{"not a number", math.NaN(), 0},
		{"infinite", math.Inf(1), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := NewLimiter(r.Client, "rate:"+tt.name, tt.rate)
			if tt.interval == 0 {
				if err == nil {
					t.Fatalf("NewLimiter(%v) = nil error, want one", tt.rate)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewLimiter(%v) = %v", tt.rate, err)
			}
			l.MaxWait = 0 // report every wait instead of sleeping
			ctx := context.Background()
			start := time.Now()
			if d, err := l.Wait(ctx, Turn{Transactional: true}); d != 0 || err != nil {
				t.Fatalf("first Wait() = %s, %v; want 0, nil", d, err)
			}
			if tt.interval < time.Millisecond {
				return // the next turn has come already
			}
			d, err := l.Wait(ctx, Turn{Transactional: true})
			if err != nil {
				t.Fatal(err)
			}
			// The second turn is interval after the first, less the time
			// that passed in between.
			if lo := tt.interval - time.Since(start) - 5*time.Millisecond; d < lo || d > tt.interval {
				t.Errorf("second Wait() = %s, want the rest of %s", d, tt.interval)
			}
		})
	}
}

// TestLimiterSharedBySender: two limiters on one sender (two workers)
// share its turns; another sender has its own.
func TestLimiterSharedBySender(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	newLimiter := func(sender string) *Limiter {
		l, err := NewLimiter(r.Client, sender, 1)
		if err != nil {
			t.Fatal(err)
		}
		l.MaxWait = 0
		return l
	}
	a, b, other := newLimiter("MGshared"), newLimiter("MGshared"), newLimiter("MGother")
	ctx := context.Background()
	if d, _ := a.Wait(ctx, Turn{Transactional: true}); d != 0 {
		t.Fatalf("a.Wait() = %s, want 0", d)
	}
	if d, _ := b.Wait(ctx, Turn{Transactional: true}); d == 0 {
		t.Error("b.Wait() on the same sender = 0, want a wait")
	}
	if d, _ := other.Wait(ctx, Turn{Transactional: true}); d != 0 {
		t.Errorf("Wait() on another sender = %s, want 0", d)
	}
}

// TestLimiterWaitsAtMostMaxWait: with more senders waiting than the rate
// serves within MaxWait, each waits in place no longer than MaxWait and
// then is told to come back later; none runs into its task's deadline.
func TestLimiterWaitsAtMostMaxWait(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	const waiters, rate = 8, 2
	l, err := NewLimiter(r.Client, "crowded", rate)
	if err != nil {
		t.Fatal(err)
	}
	l.MaxWait = time.Second
	// The task deadline: enough for MaxWait, not for the whole crowd
	// (8 turns at 2/s take 3.5 s).
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		now, later, errs int
	)
	for range waiters {
		wg.Go(func() {
			d, err := l.Wait(ctx, Turn{Transactional: true})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs++
			case d == 0:
				now++
			default:
				later++
			}
		})
	}
	wg.Wait()
	if errs != 0 || now+later != waiters || later == 0 {
		t.Errorf("%d waiters: %d went now, %d told to come back later, %d hit the deadline; want none at the deadline, some later",
			waiters, now, later, errs)
	}
	// MaxWait of turns at 2/s, plus the one taken at once.
	if now > 1+rate*int(l.MaxWait/time.Second)+1 {
		t.Errorf("%d went within %s at %d/s: the limit let too many through", now, l.MaxWait, rate)
	}
}

// TestSendOverTheRate: a send over the rate either waits its turn in place
// or is put off with its task rescheduled; neither is an error, so no retry
// is spent, and the row keeps its attempts.
func TestSendOverTheRate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Now().Truncate(time.Second))
	salon := f.salon(t, "Uptown", "America/New_York")
	ctx := context.Background()
	tests := []struct {
		name    string
		rate    float64
		maxWait time.Duration
		waits   bool // the second row is put off rather than sent
	}{
		{"waits in place", 5, 2 * time.Second, false},
		{"rescheduled", 0.5, 100 * time.Millisecond, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := NewLimiter(f.rdb.Client, "MG"+tt.name, tt.rate)
			if err != nil {
				t.Fatal(err)
			}
			l.MaxWait = tt.maxWait
			s := f.sender()
			s.Limiter = l
			var ids []int64
			var phones []string
			for j := range 2 {
				to := fmt.Sprintf("+155555508%d%d", i, j)
				phones = append(phones, to)
				ids = append(ids, f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to))
			}
			for _, id := range ids {
				if err := handler(s).ProcessTask(ctx, sendTask(t, id)); err != nil {
					t.Fatalf("Send(%d) = %v, want nil", id, err)
				}
			}
			if m := f.get(t, ids[0]); m.Status != outbox.StatusSent {
				t.Errorf("first row = %s, want sent", m.Status)
			}
			m := f.get(t, ids[1])
			if !tt.waits {
				if m.Status != outbox.StatusSent || len(f.fake.SentTo(phones[1])) != 1 {
					t.Errorf("second row = %s, want sent after waiting its turn", m.Status)
				}
				return
			}
			now := f.clock.Now()
			if m.Status != outbox.StatusPending || m.WaitReason != outbox.WaitRateLimited || m.Attempts != 0 ||
				m.SendAfter.Before(now.Add(time.Second)) || m.SendAfter.After(now.Add(2*time.Second)) {
				t.Errorf("second row = %s, wait %q until %s, attempts %d; want pending, %s within 1-2 s of %s, 0 attempts",
					m.Status, m.WaitReason, m.SendAfter, m.Attempts, outbox.WaitRateLimited, now)
			}
			if n := len(f.fake.SentTo(phones[1])); n != 0 {
				t.Errorf("fake holds %d messages to the second number, want none yet", n)
			}
			f.wantTaskAt(t, ids[1], m.SendAfter)
		})
	}
}
