package outbox

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type callback struct {
	status string
	code   int
}

func TestApplyStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name        string
		callbacks   []callback
		wantChanged []bool
		wantStatus  Status
		wantCode    int
	}{
		{name: "in order", callbacks: []callback{{"queued", 0}, {"sent", 0}, {"delivered", 0}},
			wantChanged: []bool{false, false, true}, wantStatus: StatusDelivered},
		{name: "delivered first, the rest late", callbacks: []callback{{"delivered", 0}, {"sent", 0}, {"queued", 0}},
			wantChanged: []bool{true, false, false}, wantStatus: StatusDelivered},
		{name: "duplicate delivered", callbacks: []callback{{"delivered", 0}, {"delivered", 0}},
			wantChanged: []bool{true, false}, wantStatus: StatusDelivered},
		{name: "undelivered with a code", callbacks: []callback{{"sent", 0}, {"undelivered", 30003}},
			wantChanged: []bool{false, true}, wantStatus: StatusUndelivered, wantCode: 30003},
		{name: "first terminal status wins", callbacks: []callback{{"undelivered", 30003}, {"delivered", 0}, {"failed", 30008}},
			wantChanged: []bool{true, false, false}, wantStatus: StatusUndelivered, wantCode: 30003},
		{name: "failed", callbacks: []callback{{"failed", 30008}},
			wantChanged: []bool{true}, wantStatus: StatusFailed, wantCode: 30008},
		{name: "read counts as delivered", callbacks: []callback{{"read", 0}},
			wantChanged: []bool{true}, wantStatus: StatusDelivered},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			id, sid := f.create(t), fmt.Sprintf("SM%032d", i)
			if _, err := f.store.Claim(ctx, id, t0); err != nil {
				t.Fatal(err)
			}
			if err := f.store.MarkSent(ctx, id, sid, t0); err != nil {
				t.Fatal(err)
			}
			var changed []bool
			for j, cb := range tt.callbacks {
				c, err := f.store.ApplyStatus(ctx, sid, cb.status, cb.code, t0.Add(time.Duration(j+1)*time.Minute))
				if err != nil {
					t.Fatalf("ApplyStatus(%s) = %v", cb.status, err)
				}
				changed = append(changed, c)
			}
			if diff := cmp.Diff(tt.wantChanged, changed); diff != "" {
				t.Errorf("changed (-want +got):\n%s", diff)
			}
			m := f.get(t, id)
			if m.Status != tt.wantStatus || m.ErrorCode != tt.wantCode {
				t.Errorf("row = %s code %d, want %s code %d", m.Status, m.ErrorCode, tt.wantStatus, tt.wantCode)
			}
			if !m.SentAt.Equal(t0) {
				t.Errorf("sent_at = %s, want the MarkSent time %s", m.SentAt, t0)
			}
			terminalAt := m.DeliveredAt
			if m.Status != StatusDelivered {
				terminalAt = m.FailedAt
			}
			if terminalAt.IsZero() {
				t.Errorf("%s row has no time for it", m.Status)
			}
		})
	}
}

func TestApplyStatusRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if changed, err := f.store.ApplyStatus(ctx, "SMnobody", "delivered", 0, t0); changed || err != nil {
		t.Errorf("ApplyStatus(unknown SID) = %v, %v; want false, nil", changed, err)
	}
	if _, err := f.store.ApplyStatus(ctx, "SM1", "received", 0, t0); !errors.Is(err, ErrUnknownTwilioStatus) {
		t.Errorf("ApplyStatus(received) = %v, want ErrUnknownTwilioStatus", err)
	}
}

func TestApplyStatusByID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()

	t.Run("callback beats MarkSent", func(t *testing.T) {
		t.Parallel()
		id := f.create(t)
		if _, err := f.store.Claim(ctx, id, t0); err != nil {
			t.Fatal(err)
		}
		if changed, err := f.store.ApplyStatusByID(ctx, id, "SMearly", "delivered", 0, t0.Add(time.Second)); !changed || err != nil {
			t.Fatalf("ApplyStatusByID() = %v, %v; want true, nil", changed, err)
		}
		if err := f.store.MarkSent(ctx, id, "SMearly", t0.Add(2*time.Second)); err != nil {
			t.Fatalf("MarkSent after the callback = %v, want nil", err)
		}
		if m := f.get(t, id); m.Status != StatusDelivered || m.TwilioSID != "SMearly" {
			t.Errorf("row = %s %q, want delivered SMearly", m.Status, m.TwilioSID)
		}
	})
	t.Run("callback resolves an unknown row", func(t *testing.T) {
		t.Parallel()
		id := f.create(t)
		f.force(t, id, StatusUnknown)
		if changed, err := f.store.ApplyStatusByID(ctx, id, "SMlost", "queued", 0, t0); !changed || err != nil {
			t.Fatalf("ApplyStatusByID() = %v, %v; want true, nil", changed, err)
		}
		if m := f.get(t, id); m.Status != StatusSent || m.TwilioSID != "SMlost" {
			t.Errorf("row = %s %q, want sent SMlost", m.Status, m.TwilioSID)
		}
	})
	t.Run("another SID changes nothing", func(t *testing.T) {
		t.Parallel()
		id := f.create(t)
		f.force(t, id, StatusSent)
		if changed, err := f.store.ApplyStatusByID(ctx, id, "SMother", "delivered", 0, t0); changed || err != nil {
			t.Fatalf("ApplyStatusByID(other SID) = %v, %v; want false, nil", changed, err)
		}
		if m := f.get(t, id); m.Status != StatusSent {
			t.Errorf("row = %s, want sent", m.Status)
		}
	})
}
