package outbox

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestExpireSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const lease = 2 * time.Minute
	tests := []struct {
		name       string
		status     Status
		handover   string // "" for a claim made before hand-overs were recorded
		claimedAgo time.Duration
		want       Expiry
		wantStatus Status
		wantErr    error
	}{
		{name: "young claim is left alone", status: StatusSending, handover: "handed", claimedAgo: 30 * time.Second, wantStatus: StatusSending},
		{name: "old handed claim fails as unknown", status: StatusSending, handover: "handed", claimedAgo: 3 * time.Minute, want: ExpiryFailed, wantStatus: StatusFailed},
		{name: "old claim of an older daemon fails as unknown", status: StatusSending, claimedAgo: 3 * time.Minute, want: ExpiryFailed, wantStatus: StatusFailed},
		{name: "old claim never handed over goes back to pending", status: StatusSending, handover: "claimed", claimedAgo: 3 * time.Minute, want: ExpiryReleased, wantStatus: StatusPending},
		{name: "sent row is not sending", status: StatusSent, claimedAgo: time.Hour, wantStatus: StatusSent, wantErr: ErrTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := f.create(t).ID
			f.forceHandover(t, id, tt.handover)
			f.force(t, id, tt.status, tt.claimedAgo)
			expiry, remaining, err := f.store.ExpireSending(context.Background(), id, lease)
			if !errors.Is(err, tt.wantErr) || expiry != tt.want {
				t.Fatalf("ExpireSending() = %v, %v, %v; want %v, error %v", expiry, remaining, err, tt.want, tt.wantErr)
			}
			if expiry == ExpiryNone && err == nil && (remaining < 80*time.Second || remaining > 90*time.Second) {
				t.Errorf("remaining = %s, want about 90s", remaining)
			}
			m := f.get(t, id)
			if m.Status != tt.wantStatus {
				t.Errorf("row = %s, want %s", m.Status, tt.wantStatus)
			}
			if expiry == ExpiryFailed && !strings.HasPrefix(m.Error, OutcomeUnknown) {
				t.Errorf("expired row's error = %q, want it to start with %q", m.Error, OutcomeUnknown)
			}
			if expiry == ExpiryReleased && strings.HasPrefix(m.Error, OutcomeUnknown) {
				t.Errorf("released row's error = %q, want no outcome unknown", m.Error)
			}
		})
	}
}

func TestExpireAllSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	old, unhanded, young, pending := f.create(t).ID, f.create(t).ID, f.create(t).ID, f.create(t).ID
	f.forceHandover(t, old, "handed")
	f.forceHandover(t, unhanded, "claimed")
	f.force(t, old, StatusSending, 10*time.Minute)
	f.force(t, unhanded, StatusSending, 10*time.Minute)
	f.force(t, young, StatusSending, time.Second)
	f.force(t, pending, StatusPending, time.Hour)
	got, err := f.store.ExpireAllSending(context.Background(), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != old || got[0].Status != StatusFailed {
		t.Fatalf("ExpireAllSending() = %+v, want only row %d, failed", got, old)
	}
	if s := f.get(t, unhanded).Status; s != StatusPending {
		t.Errorf("claim never handed over = %s, want pending", s)
	}
	if s := f.get(t, young).Status; s != StatusSending {
		t.Errorf("young claim = %s, want sending", s)
	}
}

// forceHandover sets row id's handover ("" for NULL).
func (f *fixture) forceHandover(t testing.TB, id int64, handover string) {
	t.Helper()
	var v any
	if handover != "" {
		v = handover
	}
	if _, err := f.pool.Exec(context.Background(), `UPDATE email_messages SET handover = $2 WHERE id = $1`, id, v); err != nil {
		t.Fatal(err)
	}
}
