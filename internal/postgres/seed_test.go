package postgres_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/testenv"
)

var seedNow = time.Date(2025, time.March, 14, 15, 30, 0, 0, time.UTC)

// wantSeeded is what one Seed puts in an empty schema.
var wantSeeded = postgres.SeedCounts{
	Salons: 1, Technicians: 3, QueueEntries: 3, Customers: 8, Appointments: 8, Campaigns: 1,
}

// tableCounts counts the rows of the tables Seed writes.
func tableCounts(t *testing.T, pool *pgxpool.Pool) postgres.SeedCounts {
	t.Helper()
	var c postgres.SeedCounts
	err := pool.QueryRow(t.Context(), `SELECT
		(SELECT count(*) FROM salons), (SELECT count(*) FROM technicians),
		(SELECT count(*) FROM technician_queue), (SELECT count(*) FROM customers),
		(SELECT count(*) FROM appointments), (SELECT count(*) FROM campaigns)`).
		Scan(&c.Salons, &c.Technicians, &c.QueueEntries, &c.Customers, &c.Appointments, &c.Campaigns)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// appointmentTimes returns every appointment's id, status and times.
func appointmentTimes(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, _ := pool.Query(t.Context(), `
		SELECT id || ' ' || status || ' ' || starts_at || ' ' || coalesce(completed_at::text, '-')
		FROM appointments ORDER BY id`)
	times, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return times
}

func TestSeedTwice(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)

	first, err := postgres.Seed(t.Context(), pg.Pool, seedNow)
	if err != nil {
		t.Fatalf("first Seed: %v", err)
	}
	if diff := cmp.Diff(postgres.SeedReport{SalonID: first.SalonID, Created: wantSeeded}, first); diff != "" {
		t.Errorf("first report (-want +got):\n%s", diff)
	}
	counts, times := tableCounts(t, pg.Pool), appointmentTimes(t, pg.Pool)

	// A day later: nothing new, nothing moved.
	second, err := postgres.Seed(t.Context(), pg.Pool, seedNow.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("second Seed: %v", err)
	}
	if diff := cmp.Diff(postgres.SeedReport{SalonID: first.SalonID, Present: wantSeeded}, second); diff != "" {
		t.Errorf("second report (-want +got):\n%s", diff)
	}
	if !strings.Contains(second.String(), "nothing created") {
		t.Errorf("second report reads %q, want it to say nothing was created", second)
	}
	if diff := cmp.Diff(counts, tableCounts(t, pg.Pool)); diff != "" {
		t.Errorf("row counts changed by the second run (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(times, appointmentTimes(t, pg.Pool)); diff != "" {
		t.Errorf("appointments changed by the second run (-first +second):\n%s", diff)
	}
}

func TestSeedConcurrently(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)
	var wg sync.WaitGroup
	reports := make([]postgres.SeedReport, 3)
	errs := make([]error, len(reports))
	for i := range reports {
		wg.Go(func() { reports[i], errs[i] = postgres.Seed(t.Context(), pg.Pool, seedNow) })
	}
	wg.Wait()
	created := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Seed %d: %v", i, err)
		}
		created += reports[i].Created.Total()
	}
	if created != wantSeeded.Total() {
		t.Errorf("concurrent runs created %d rows together, want %d", created, wantSeeded.Total())
	}
	if diff := cmp.Diff(wantSeeded, tableCounts(t, pg.Pool)); diff != "" {
		t.Errorf("row counts (-want +got):\n%s", diff)
	}
}

// TestSeedGivesDispatchersWork checks the demo data against the selections
// the SMS rules describe (docs/sms.md), as of the time passed to Seed.
func TestSeedGivesDispatchersWork(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)
	if _, err := postgres.Seed(t.Context(), pg.Pool, seedNow); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"booked, starting within 24 h (confirmations due)",
			`SELECT count(*) FROM appointments WHERE status = 'booked' AND starts_at > @now::timestamptz AND starts_at <= @now::timestamptz + interval '24 hours'`, 3},
		{"booked later (not due)",
			`SELECT count(*) FROM appointments WHERE status = 'booked' AND starts_at > @now::timestamptz + interval '24 hours'`, 1},
		{"completed 30 min to 24 h ago (reviews due)",
			`SELECT count(*) FROM appointments WHERE status = 'completed'
			 AND completed_at BETWEEN @now::timestamptz - interval '24 hours' AND @now::timestamptz - interval '30 minutes'`, 2},
		{"completed longer ago",
			`SELECT count(*) FROM appointments WHERE status = 'completed' AND completed_at < @now::timestamptz - interval '24 hours'`, 1},
		{"cancelled", `SELECT count(*) FROM appointments WHERE status = 'cancelled'`, 1},
		{"campaigns due", `SELECT count(*) FROM campaigns WHERE status = 'scheduled' AND send_at <= @now::timestamptz`, 1},
		{"opted-out customers", `SELECT count(*) FROM customers WHERE sms_opted_out_at IS NOT NULL`, 1},
		{"customers without marketing consent", `SELECT count(*) FROM customers WHERE NOT marketing_consent`, 2},
		{"campaign recipients (consent, not opted out)",
			`SELECT count(*) FROM customers c JOIN campaigns k ON k.salon_id = c.salon_id
			 WHERE c.marketing_consent AND c.sms_opted_out_at IS NULL AND k.send_at <= @now::timestamptz`, 5},
		{"an opted-out customer with a confirmation due",
			`SELECT count(*) FROM appointments a JOIN customers c ON c.id = a.customer_id
			 WHERE c.sms_opted_out_at IS NOT NULL AND a.status = 'booked' AND a.starts_at <= @now::timestamptz + interval '24 hours'`, 1},
		{"salon with a review link in New York",
			`SELECT count(*) FROM salons WHERE timezone = 'America/New_York' AND review_link <> ''`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got int
			if err := pg.Pool.QueryRow(t.Context(), tt.query, pgx.NamedArgs{"now": seedNow}).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
