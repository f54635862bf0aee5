package reports

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/storage"
)

// counts are appointments by status over some group.
type counts struct {
	Appointments, Booked, Completed, Cancelled, NoShow, Customers int64
}

// summary is what a salon summary shows.
type summary struct {
	Salon, TimeZone string
	From, To        time.Time
	Generated       time.Time
	Totals          counts
	// Technicians is one row per technician with appointments, busiest
	// first, then "Unassigned" for appointments without one.
	Technicians []techRow
	// Days is every day of the period, empty ones included.
	Days []dayRow
}

type techRow struct {
	Name string
	counts
}

type dayRow struct {
	Date time.Time
	counts
}

// countsSQL aggregates the appointments a in scope into counts' columns.
const countsSQL = `count(a.id),
       count(a.id) FILTER (WHERE a.status IN ('booked', 'confirmed')),
       count(a.id) FILTER (WHERE a.status = 'completed'),
       count(a.id) FILTER (WHERE a.status = 'cancelled'),
       count(a.id) FILTER (WHERE a.status = 'no_show'),
       count(DISTINCT a.customer_id)`

func (c *counts) dest() []any {
	return []any{&c.Appointments, &c.Booked, &c.Completed, &c.Cancelled, &c.NoShow, &c.Customers}
}

// loadSummary reads the period's figures in one snapshot, from the
// appointments themselves (daily_stats lags a day behind and is in UTC
// days per run), grouped by the salon's local days.
func loadSummary(ctx context.Context, tx pgx.Tx, r report) (*summary, error) {
	s := &summary{Salon: r.SalonName, TimeZone: r.TimeZone, From: r.From, To: r.To}
	if err := tx.QueryRow(ctx, `SELECT `+countsSQL+` FROM appointments a WHERE `+periodSQL,
		r.SalonID, r.From, r.To).Scan(s.Totals.dest()...); err != nil {
		return nil, fmt.Errorf("totals: %w", err)
	}
	rows, err := tx.Query(ctx, `
		SELECT coalesce(t.name, 'Unassigned'), `+countsSQL+`
		FROM appointments a LEFT JOIN technicians t ON t.id = a.technician_id
		WHERE `+periodSQL+`
		GROUP BY a.technician_id, t.name
		ORDER BY a.technician_id IS NULL, count(a.id) DESC, t.name, a.technician_id`, r.SalonID, r.From, r.To)
	if err != nil {
		return nil, fmt.Errorf("technicians: %w", err)
	}
	s.Technicians, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (techRow, error) {
		var t techRow
		return t, row.Scan(append([]any{&t.Name}, t.dest()...)...)
	})
	if err != nil {
		return nil, fmt.Errorf("technicians: %w", err)
	}
	rows, err = tx.Query(ctx, `
		SELECT d.day, `+countsSQL+`
		FROM generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS g(ts)
		CROSS JOIN LATERAL (SELECT g.ts::date AS day) d
		LEFT JOIN appointments a ON a.salon_id = $1
		     AND a.starts_at >= d.day::timestamptz AND a.starts_at < (d.day + 1)::timestamptz
		GROUP BY d.day ORDER BY d.day`, r.SalonID, r.From, r.To)
	if err != nil {
		return nil, fmt.Errorf("days: %w", err)
	}
	s.Days, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (dayRow, error) {
		var d dayRow
		return d, row.Scan(append([]any{&d.Date}, d.dest()...)...)
	})
	if err != nil {
		return nil, fmt.Errorf("days: %w", err)
	}
	return s, nil
}

// maxSummaryDays bounds a summary's period: a chart and a table of more
// than a few years says nothing, and the API should not ask for it.
const maxSummaryDays = 3 * 366

// summarize writes the salon summary PDF and returns its key.
func (g *Generator) summarize(ctx context.Context, r report, prog *progress) (string, error) {
	if days := int(r.To.Sub(r.From).Hours()/24) + 1; days > maxSummaryDays {
		return "", fail(fmt.Sprintf("a salon summary covers at most %d days; this period has %d", maxSummaryDays, days), nil)
	}
	key := fmt.Sprintf("reports/%d/%d/salon_summary_%s_%s.pdf", r.SalonID, r.ID, r.From.Format("2006-01-02"), r.To.Format("2006-01-02"))
	var s *summary
	err := readTx(ctx, g.DB, r.TimeZone, func(tx pgx.Tx) error {
		var err error
		s, err = loadSummary(ctx, tx, r)
		return err
	})
	if err != nil {
		return "", err
	}
	prog.set(ctx, 40)
	s.Generated = g.Clock.Now()
	var buf bytes.Buffer
	if err := renderPDF(&buf, s); err != nil {
		return "", fmt.Errorf("render summary: %w", err)
	}
	prog.set(ctx, 80)
	// A few hundred KB at most: no need to stream.
	if err := g.Storage.Put(ctx, key, &buf, storage.PutOptions{ContentType: "application/pdf",
		ContentDisposition: attachment(key)}); err != nil {
		return "", fmt.Errorf("store %s: %w", key, err)
	}
	return key, nil
}
