package outbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/salonworks/jobs/internal/sms/text"
)

func TestCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	m := f.message()
	m.IdempotencyKey = ConfirmationKey(42, time.Date(2026, 7, 15, 14, 0, 0, 0, time.UTC))
	m.Kind = KindConfirmation
	m.Body = "Hi Zoë, see you at 10:00 😀"
	m.WaitReason, m.SendAfter = WaitQuietHours, t0

	id, created, err := f.store.Create(ctx, m)
	if err != nil || !created {
		t.Fatalf("first Create() = %d, %v, %v; want a new row", id, created, err)
	}
	again := m
	again.Body = "a different body under the same key"
	id2, created, err := f.store.Create(ctx, again)
	if err != nil || created || id2 != id {
		t.Fatalf("second Create() = %d, %v, %v; want %d, false, nil", id2, created, err, id)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages`); n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}

	want := m
	want.ID, want.Status, want.Segments, want.Encoding = id, StatusPending, 1, text.EncodingUCS2
	got := f.get(t, id)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Message{}, "CreatedAt", "UpdatedAt"), cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("stored row (-want +got):\n%s", diff)
	}
}

func TestCreateConcurrentSameKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.message()
	const n = 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[int64]bool{}
		created int
	)
	for range n {
		wg.Go(func() {
			id, c, err := f.store.Create(context.Background(), m)
			if err != nil {
				t.Errorf("Create() = %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[id] = true
			if c {
				created++
			}
		})
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Errorf("%d concurrent Create(): %d created, %d distinct ids; want 1 and 1", n, created, len(ids))
	}
}

func TestCreateAcceptsShortNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.message()
	m.To = "+6834002" // Niue: 7 digits, which customers.phone allows
	if _, created, err := f.store.Create(context.Background(), m); !created || err != nil {
		t.Fatalf("Create(7-digit number) = %v, %v; want created", created, err)
	}
}

func TestCreateRefusesInvalid(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name    string
		edit    func(*Message)
		wantErr string
		body    bool // also wraps text.ErrInvalidBody
	}{
		{name: "empty key", edit: func(m *Message) { m.IdempotencyKey = " " }, wantErr: "idempotency key is empty"},
		{name: "key too long", edit: func(m *Message) { m.IdempotencyKey = strings.Repeat("k", 256) }, wantErr: "at most 255 allowed"},
		{name: "no salon", edit: func(m *Message) { m.SalonID = 0 }, wantErr: "salon id is missing"},
		{name: "unknown salon", edit: func(m *Message) { m.SalonID = 999999 }, wantErr: "foreign key"},
		{name: "bad category", edit: func(m *Message) { m.Category = "promo" }, wantErr: `category "promo"`},
		{name: "bad kind", edit: func(m *Message) { m.Kind = "blast" }, wantErr: `kind "blast" is unknown`},
		{name: "transactional campaign", edit: func(m *Message) { m.Kind = KindCampaign }, wantErr: "must be marketing"},
		{name: "bad phone", edit: func(m *Message) { m.To = "5555550101" }, wantErr: "recipient is not an E.164 phone number"},
		{name: "empty body", edit: func(m *Message) { m.Body = "" }, wantErr: "invalid sms body: empty", body: true},
		{name: "body too long", edit: func(m *Message) { m.Body = strings.Repeat("a", 1601) }, wantErr: "1601 characters long", body: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := f.message()
			tt.edit(&m)
			_, _, err := f.store.Create(context.Background(), m)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Create() = %v, want ErrInvalid mentioning %q", err, tt.wantErr)
			}
			if tt.body != errors.Is(err, text.ErrInvalidBody) {
				t.Errorf("errors.Is(%v, text.ErrInvalidBody) = %v, want %v", err, !tt.body, tt.body)
			}
			if strings.Contains(err.Error(), "5555550101") {
				t.Errorf("error %q shows the phone number", err)
			}
		})
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages`); n != 0 {
		t.Errorf("rows = %d after refused creates, want 0", n)
	}
}
