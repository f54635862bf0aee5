package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClaimConcurrentOneWinner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.create(t)
	var (
		wg      sync.WaitGroup
		winners atomic.Int32
	)
	for range 10 {
		wg.Go(func() {
			m, err := f.store.Claim(context.Background(), id, t0)
			var se *StateError
			switch {
			case err == nil:
				winners.Add(1)
				if m.Status != StatusSending || m.Attempts != 1 || !m.ClaimedAt.Equal(t0) {
					t.Errorf("claimed row = %s, attempts %d, claimed at %s", m.Status, m.Attempts, m.ClaimedAt)
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
	if m := f.get(t, id); m.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", m.Attempts)
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
		{"claim", StatusSending, func(id int64) error { _, err := f.store.Claim(ctx, id, t0); return err }},
		{"release", StatusPending, func(id int64) error { return f.store.Release(ctx, id, WaitQuietHours, t0.Add(time.Hour)) }},
		{"mark sent", StatusSent, func(id int64) error { return f.store.MarkSent(ctx, id, fmt.Sprintf("SMnew%d", id), t0) }},
		{"mark failed", StatusFailed, func(id int64) error { return f.store.MarkFailed(ctx, id, 21211, "invalid To", t0) }},
		{"mark skipped", StatusSkipped, func(id int64) error { return f.store.MarkSkipped(ctx, id, SkipOptedOut) }},
		{"mark unknown", StatusUnknown, func(id int64) error { return f.store.MarkUnknown(ctx, id, errors.New("timeout")) }},
		{"reopen", StatusPending, func(id int64) error { return f.store.Reopen(ctx, id) }},
	}
	allowed := map[Status][]string{
		StatusPending:     {"claim", "mark skipped"},
		StatusSending:     {"release", "mark sent", "mark failed", "mark skipped", "mark unknown"},
		StatusUnknown:     {"mark sent", "mark failed", "reopen"},
		StatusSent:        nil,
		StatusDelivered:   nil,
		StatusUndelivered: nil,
		StatusFailed:      nil,
		StatusSkipped:     nil,
	}
	for from, ok := range allowed {
		for _, op := range ops {
			t.Run(string(from)+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				id := f.create(t)
				f.force(t, id, from)
				err := op.do(id)
				got := f.get(t, id).Status
				if slices.Contains(ok, op.name) {
					if err != nil || got != op.to {
						t.Fatalf("%s from %s = %v, row %s; want nil, row %s", op.name, from, err, got, op.to)
					}
					return
				}
				var se *StateError
				if !errors.As(err, &se) || se.Status != from || !errors.Is(err, ErrTransition) {
					t.Fatalf("%s from %s = %v, want a *StateError (status %s)", op.name, from, err, from)
				}
				if got != from {
					t.Fatalf("refused %s moved the row from %s to %s", op.name, from, got)
				}
			})
		}
	}
}

func TestTransitionOfMissingRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.store.Claim(context.Background(), 424242, t0); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotClaimable) {
		t.Errorf("Claim(missing) = %v, want ErrNotFound", err)
	}
	if err := f.store.MarkSent(context.Background(), 424242, "SM1", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkSent(missing) = %v, want ErrNotFound", err)
	}
}

func TestReleaseGivesTheAttemptBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.create(t)
	after := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	if _, err := f.store.Claim(ctx, id, t0); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Release(ctx, id, WaitQuietHours, after); err != nil {
		t.Fatal(err)
	}
	m := f.get(t, id)
	type state struct {
		Status     Status
		Attempts   int
		WaitReason string
		SendAfter  string
		Claimed    bool
	}
	got := state{m.Status, m.Attempts, m.WaitReason, m.SendAfter.UTC().Format(time.RFC3339), !m.ClaimedAt.IsZero()}
	want := state{StatusPending, 0, WaitQuietHours, "2026-03-09T12:00:00Z", false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after Release (-want +got):\n%s", diff)
	}
	m, err := f.store.Claim(ctx, id, after)
	if err != nil || m.Attempts != 1 || m.WaitReason != WaitQuietHours {
		t.Errorf("Claim after Release = attempts %d, wait %q, %v; want 1, the reason kept, nil", m.Attempts, m.WaitReason, err)
	}
}

func TestMarkSentRepeatIsNoOp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.create(t)
	if _, err := f.store.Claim(ctx, id, t0); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkSent(ctx, id, "SM123", t0); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkSent(ctx, id, "SM123", t0.Add(time.Second)); err != nil {
		t.Errorf("MarkSent with the same SID again = %v, want nil", err)
	}
	if err := f.store.MarkSent(ctx, id, "SM999", t0); !errors.Is(err, ErrTransition) {
		t.Errorf("MarkSent with another SID = %v, want ErrTransition", err)
	}
	if m := f.get(t, id); m.TwilioSID != "SM123" || !m.SentAt.Equal(t0) {
		t.Errorf("row = SID %q sent at %s, want SM123 at %s", m.TwilioSID, m.SentAt, t0)
	}
}

func ids(msgs []Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}
