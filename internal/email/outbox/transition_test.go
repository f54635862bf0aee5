package outbox

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestClaimConcurrentOneWinner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.create(t).ID
	var (
		wg      sync.WaitGroup
		winners atomic.Int32
	)
	for range 10 {
		wg.Go(func() {
			m, err := f.store.Claim(context.Background(), id)
			var se *StateError
			switch {
			case err == nil:
				winners.Add(1)
				if m.Status != StatusSending || m.Attempts != 1 {
					t.Errorf("claimed row = %s, attempts %d", m.Status, m.Attempts)
				}
			case errors.Is(err, ErrNotClaimable) && errors.As(err, &se) && se.Status == StatusSending:
			default:
				t.Errorf("Claim() = %v, want success or ErrNotClaimable (sending)", err)
			}
		})
	}
	wg.Wait()
	if n := winners.Load(); n != 1 {
		t.Fatalf("%d of 10 concurrent claims won, want exactly 1", n)
	}
}

// TestTransitions tries every transition from every state: the allowed
// ones move the row, the others leave it as it was and say why.
func TestTransitions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ops := []struct {
		name string
		to   Status
		do   func(id int64) error
	}{
		{"claim", StatusSending, func(id int64) error { _, err := f.store.Claim(ctx, id); return err }},
		{"release", StatusPending, func(id int64) error { return f.store.Release(ctx, id, "connection refused") }},
		{"postpone", StatusPending, func(id int64) error { return f.store.Postpone(ctx, id, "rate limited") }},
		{"mark sent", StatusSent, func(id int64) error { return f.store.MarkSent(ctx, id, "new-id", t0) }},
		{"mark failed", StatusFailed, func(id int64) error { return f.store.MarkFailed(ctx, id, "MessageRejected") }},
		{"mark unknown", StatusFailed, func(id int64) error { return f.store.MarkUnknown(ctx, id, errors.New("timeout")) }},
		{"mark skipped", StatusSkipped, func(id int64) error { return f.store.MarkSkipped(ctx, id, SkipSuppressed) }},
	}
	allowed := map[Status][]string{
		StatusPending: {"claim", "mark failed", "mark skipped"},
		StatusSending: {"release", "postpone", "mark sent", "mark failed", "mark unknown", "mark skipped"},
		StatusSent:    nil,
		StatusSkipped: nil,
		StatusFailed:  nil,
	}
	for from, ok := range allowed {
		for _, op := range ops {
			t.Run(string(from)+" "+op.name, func(t *testing.T) {
				id := f.create(t).ID
				f.force(t, id, from, 0)
				err := op.do(id)
				got := f.get(t, id).Status
				if slices.Contains(ok, op.name) {
					if err != nil || got != op.to {
						t.Fatalf("%s from %s = %v, row %s; want nil, row %s", op.name, from, err, got, op.to)
					}
					return
				}
				var se *StateError
				if !errors.As(err, &se) || !errors.Is(err, ErrTransition) || se.Status != from {
					t.Fatalf("%s from %s = %v, want a *StateError saying %s", op.name, from, err, from)
				}
				if got != from {
					t.Fatalf("refused %s moved the row from %s to %s", op.name, from, got)
				}
			})
		}
	}
}

func TestAttemptsAndErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name         string
		after        func(id int64) error
		wantStatus   Status
		wantAttempts int
		wantError    string
	}{
		{name: "postpone gives the attempt back", after: func(id int64) error { return f.store.Postpone(ctx, id, "TooManyRequestsException") },
			wantStatus: StatusPending, wantAttempts: 0, wantError: "TooManyRequestsException"},
		{name: "release keeps it", after: func(id int64) error { return f.store.Release(ctx, id, "dial tcp: connection refused") },
			wantStatus: StatusPending, wantAttempts: 1, wantError: "dial tcp: connection refused"},
		{name: "unknown outcome says so", after: func(id int64) error { return f.store.MarkUnknown(ctx, id, errors.New("500 InternalFailure")) },
			wantStatus: StatusFailed, wantAttempts: 1, wantError: "outcome unknown: 500 InternalFailure"},
		{name: "a long error is cut", after: func(id int64) error { return f.store.MarkFailed(ctx, id, strings.Repeat("x", 5000)) },
			wantStatus: StatusFailed, wantAttempts: 1, wantError: strings.Repeat("x", 999) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := f.create(t).ID
			if _, err := f.store.Claim(ctx, id); err != nil {
				t.Fatal(err)
			}
			if err := tt.after(id); err != nil {
				t.Fatal(err)
			}
			m := f.get(t, id)
			if m.Status != tt.wantStatus || m.Attempts != tt.wantAttempts || m.Error != tt.wantError {
				t.Errorf("row = %s, %d attempts, error %.40q; want %s, %d, %.40q", m.Status, m.Attempts, m.Error, tt.wantStatus, tt.wantAttempts, tt.wantError)
			}
		})
	}
}

func TestMarkSentTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.create(t).ID
	if _, err := f.store.Claim(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Release(ctx, id, "refused"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Claim(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkSent(ctx, id, "0100-abc", t0); err != nil {
		t.Fatalf("MarkSent() = %v", err)
	}
	if err := f.store.MarkSent(ctx, id, "0100-abc", t0.Add(time.Minute)); err != nil {
		t.Errorf("MarkSent() with the same id again = %v, want nil", err)
	}
	if err := f.store.MarkSent(ctx, id, "0100-other", t0); !errors.Is(err, ErrTransition) {
		t.Errorf("MarkSent() with another id = %v, want ErrTransition", err)
	}
	m := f.get(t, id)
	if m.ProviderMessageID != "0100-abc" || !m.SentAt.Equal(t0) || m.Error != "" || m.Attempts != 2 {
		t.Errorf("sent row = %+v; want id 0100-abc, sent at t0, error cleared, 2 attempts", m)
	}
}

func TestMissingRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.store.Claim(context.Background(), 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Claim(999) = %v, want ErrNotFound", err)
	}
	if _, err := f.store.Get(context.Background(), 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(999) = %v, want ErrNotFound", err)
	}
}
