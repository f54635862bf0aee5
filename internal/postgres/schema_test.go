package postgres_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/salonworks/jobs/internal/testenv"
)

// TestSchemaRules checks the rules the schema itself enforces, which
// every writer (API and daemon) relies on.
func TestSchemaRules(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)
	ctx := t.Context()
	// Ids come from the identity sequences of the fresh schema: salons 1
	// and 2, technicians 1 (salon 1) and 2 (salon 2), customers 1 and 2 alike.
	setup := []string{
		`INSERT INTO salons (name, timezone) VALUES ('One', 'Europe/Paris'), ('Two', 'UTC')`,
		`INSERT INTO technicians (salon_id, name) VALUES (1, 'Ann'), (2, 'Bob')`,
		`INSERT INTO customers (salon_id, first_name, phone) VALUES (1, 'Cy', '+15555550101'), (2, 'Di', '+15555550102')`,
		`INSERT INTO sms_messages (idempotency_key, salon_id, category, kind, to_phone, body)
		 VALUES ('confirmation:1', 1, 'transactional', 'confirmation', '+15555550101', 'hi')`,
		`INSERT INTO daily_stats (salon_id, stat_date, technician_id, booked) VALUES (1, '2025-03-01', NULL, 4)`,
	}
	for _, q := range setup {
		if _, err := pg.Pool.Exec(ctx, q); err != nil {
			t.Fatalf("setup %q: %v", q, err)
		}
	}
	const (
		ok         = ""
		check      = "23514"
		unique     = "23505"
		foreignKey = "23503"
	)
	tests := []struct {
		name  string
		sql   string
		state string
	}{
		{"salon time zone is a zone name", `INSERT INTO salons (name, timezone) VALUES ('X', '+05:00')`, check},
		{"salon time zone defaults to UTC", `INSERT INTO salons (name) VALUES ('X')`, ok},
		{"customer phone is E.164", `INSERT INTO customers (salon_id, first_name, phone) VALUES (1, 'E', '555-0101')`, check},
		{"one customer per phone in a salon", `INSERT INTO customers (salon_id, first_name, phone) VALUES (1, 'E', '+15555550101')`, unique},
		{"same phone in another salon", `INSERT INTO customers (salon_id, first_name, phone) VALUES (2, 'E', '+15555550101')`, ok},
		{"appointment's customer is of its salon",
			`INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at) VALUES (1, 2, now(), now() + interval '1 hour')`, foreignKey},
		{"appointment ends after it starts",
			`INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at) VALUES (1, 1, now(), now())`, check},
		{"completed appointment has completed_at",
			`INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at, status) VALUES (1, 1, now(), now() + interval '1 hour', 'completed')`, check},
		{"appointment status is known",
			`INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at, status) VALUES (1, 1, now(), now() + interval '1 hour', 'done')`, check},
		{"queue entry's technician is of its salon", `INSERT INTO technician_queue (salon_id, technician_id) VALUES (1, 2)`, foreignKey},
		{"sms idempotency key is unique",
			`INSERT INTO sms_messages (idempotency_key, salon_id, category, kind, to_phone, body)
			 VALUES ('confirmation:1', 1, 'transactional', 'confirmation', '+15555550101', 'again')`, unique},
		{"sms body at most 1600 characters",
			`INSERT INTO sms_messages (idempotency_key, salon_id, category, kind, to_phone, body)
			 VALUES ('adhoc:long', 1, 'transactional', 'adhoc', '+15555550101', repeat('a', 1601))`, check},
		{"skipped sms says why",
			`UPDATE sms_messages SET status = 'skipped' WHERE idempotency_key = 'confirmation:1'`, check},
		{"campaign sms is marketing",
			`INSERT INTO sms_messages (idempotency_key, salon_id, category, kind, to_phone, body)
			 VALUES ('campaign:1:1', 1, 'transactional', 'campaign', '+15555550101', 'sale')`, check},
		{"email suppressions are lowercase", `INSERT INTO email_suppressions (address, reason) VALUES ('A@Example.com', 'bounce')`, check},
		{"upload variants is an object", `INSERT INTO uploads (owner_id, purpose, storage_key, variants) VALUES (1, 'document', 'k', '[]')`, check},
		{"report progress at most 100",
			`INSERT INTO reports (type, salon_id, period_from, period_to, requested_by_email, progress)
			 VALUES ('salon_summary', 1, '2025-03-01', '2025-03-31', 'o@example.com', 101)`, check},
		{"report period is ordered",
			`INSERT INTO reports (type, salon_id, period_from, period_to, requested_by_email)
			 VALUES ('salon_summary', 1, '2025-03-31', '2025-03-01', 'o@example.com')`, check},
		{"one queue snapshot per salon and day",
			`INSERT INTO queue_reset_snapshots (salon_id, reset_date, snapshot) VALUES (1, '2025-03-01', '[]'), (1, '2025-03-01', '[]')`, unique},
		{"one whole-salon stats row per day",
			`INSERT INTO daily_stats (salon_id, stat_date, technician_id) VALUES (1, '2025-03-01', NULL)`, unique},
		{"stats upsert on the documented key",
			`INSERT INTO daily_stats (salon_id, stat_date, technician_id, booked) VALUES (1, '2025-03-01', NULL, 5)
			 ON CONFLICT (salon_id, stat_date, technician_key) DO UPDATE SET booked = excluded.booked`, ok},
		{"per-technician stats row beside the salon's",
			`INSERT INTO daily_stats (salon_id, stat_date, technician_id) VALUES (1, '2025-03-01', 1)`, ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each statement runs in a transaction that is rolled back, so
			// the cases do not depend on each other.
			tx, err := pg.Pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			_, err = tx.Exec(ctx, tt.sql)
			var pgErr *pgconn.PgError
			switch {
			case tt.state == ok && err != nil:
				t.Errorf("want success, got %v", err)
			case tt.state != ok && !errors.As(err, &pgErr):
				t.Errorf("want SQLSTATE %s, got %v", tt.state, err)
			case tt.state != ok && pgErr.Code != tt.state:
				t.Errorf("want SQLSTATE %s, got %s: %v", tt.state, pgErr.Code, err)
			}
		})
	}
}
