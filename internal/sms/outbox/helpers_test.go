package outbox

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/testenv"
)

// fixture is one test's schema with a salon, a customer and a campaign.
type fixture struct {
	store      *Store
	pool       *pgxpool.Pool
	salonID    int64
	customerID int64
	campaignID int64
}

// t0 is the tests' fixed clock.
var t0 = time.Date(2026, 3, 8, 15, 0, 0, 0, time.UTC)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pg := testenv.NewPostgres(t)
	f := &fixture{store: New(pg.Pool), pool: pg.Pool}
	f.salonID = f.salon(t, "Demo Salon")
	f.customerID = f.customer(t, f.salonID, "+15555550101")
	err := pg.Pool.QueryRow(context.Background(), `
		INSERT INTO campaigns (salon_id, name, body, send_at) VALUES ($1, 'Spring', '20% off', $2) RETURNING id`,
		f.salonID, t0).Scan(&f.campaignID)
	if err != nil {
		t.Fatalf("insert campaign: %v", err)
	}
	return f
}

func (f *fixture) salon(t testing.TB, name string) int64 {
	t.Helper()
	var id int64
	err := f.pool.QueryRow(context.Background(), `
		INSERT INTO salons (name, timezone) VALUES ($1, 'America/New_York') RETURNING id`, name).Scan(&id)
	if err != nil {
		t.Fatalf("insert salon: %v", err)
	}
	return id
}

func (f *fixture) customer(t testing.TB, salonID int64, phone string) int64 {
	t.Helper()
	var id int64
	err := f.pool.QueryRow(context.Background(), `
		INSERT INTO customers (salon_id, first_name, phone, marketing_consent) VALUES ($1, 'Maria', $2, true) RETURNING id`,
		salonID, phone).Scan(&id)
	if err != nil {
		t.Fatalf("insert customer: %v", err)
	}
	return id
}

var keySeq atomic.Int64

// message returns a valid transactional message with a fresh key.
func (f *fixture) message() Message {
	return Message{
		IdempotencyKey: fmt.Sprintf("test:%d", keySeq.Add(1)),
		SalonID:        f.salonID,
		CustomerID:     f.customerID,
		Category:       CategoryTransactional,
		Kind:           KindAdhoc,
		To:             "+15555550101",
		Body:           "See you at 10:00",
	}
}

// create stores a fresh message and returns its id.
func (f *fixture) create(t testing.TB) int64 {
	t.Helper()
	id, created, err := f.store.Create(context.Background(), f.message())
	if err != nil || !created {
		t.Fatalf("Create() = %d, %v, %v", id, created, err)
	}
	return id
}

// force puts row id in status directly, bypassing the state machine, to
// set up a test.
func (f *fixture) force(t testing.TB, id int64, status Status) {
	t.Helper()
	_, err := f.pool.Exec(context.Background(), `
		UPDATE sms_messages SET status = $2,
			skip_reason = CASE WHEN $2 = 'skipped' THEN 'opted_out' END,
			claimed_at = CASE WHEN $2 <> 'pending' THEN $3::timestamptz END,
			twilio_sid = CASE WHEN $2 IN ('sent', 'delivered', 'undelivered') THEN 'SM' || id END
		WHERE id = $1`, id, string(status), t0)
	if err != nil {
		t.Fatalf("force message %d to %s: %v", id, status, err)
	}
}

func (f *fixture) get(t testing.TB, id int64) Message {
	t.Helper()
	m, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}
