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
		name        string
		status      Status
		claimedAgo  time.Duration
		wantExpired bool
		wantStatus  Status
		wantErr     error
	}{
		{name: "young claim is left alone", status: StatusSending, claimedAgo: 30 * time.Second, wantStatus: StatusSending},
		{name: "old claim fails as unknown", status: StatusSending, claimedAgo: 3 * time.Minute, wantExpired: true, wantStatus: StatusFailed},
		{name: "sent row is not sending", status: StatusSent, claimedAgo: time.Hour, wantStatus: StatusSent, wantErr: ErrTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := f.create(t).ID
			f.force(t, id, tt.status, tt.claimedAgo)
			expired, remaining, err := f.store.ExpireSending(context.Background(), id, lease)
			if !errors.Is(err, tt.wantErr) || expired != tt.wantExpired {
				t.Fatalf("ExpireSending() = %v, %v, %v; want expired %v, error %v", expired, remaining, err, tt.wantExpired, tt.wantErr)
			}
			if !expired && err == nil && (remaining < 80*time.Second || remaining > 90*time.Second) {
				t.Errorf("remaining = %s, want about 90s", remaining)
			}
			m := f.get(t, id)
			if m.Status != tt.wantStatus {
				t.Errorf("row = %s, want %s", m.Status, tt.wantStatus)
			}
			if expired && !strings.HasPrefix(m.Error, OutcomeUnknown) {
				t.Errorf("expired row's error = %q, want it to start with %q", m.Error, OutcomeUnknown)
			}
		})
	}
}

func TestExpireAllSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	old, young, pending := f.create(t).ID, f.create(t).ID, f.create(t).ID
	f.force(t, old, StatusSending, 10*time.Minute)
	f.force(t, young, StatusSending, time.Second)
	f.force(t, pending, StatusPending, time.Hour)
	got, err := f.store.ExpireAllSending(context.Background(), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != old || got[0].Status != StatusFailed {
		t.Fatalf("ExpireAllSending() = %+v, want only row %d, failed", got, old)
	}
	if s := f.get(t, young).Status; s != StatusSending {
		t.Errorf("young claim = %s, want sending", s)
	}
}
