package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SeedCounts counts rows of the demo salon, table by table.
type SeedCounts struct {
	Salons       int
	Technicians  int
	QueueEntries int
	Customers    int
	Appointments int
	Campaigns    int
}

// Total is the number of rows counted.
func (c SeedCounts) Total() int {
	return c.Salons + c.Technicians + c.QueueEntries + c.Customers + c.Appointments + c.Campaigns
}

// String lists the counts, e.g. "salons 1, technicians 3, …".
func (c SeedCounts) String() string {
	return fmt.Sprintf("salons %d, technicians %d, queue entries %d, customers %d, appointments %d, campaigns %d",
		c.Salons, c.Technicians, c.QueueEntries, c.Customers, c.Appointments, c.Campaigns)
}

// SeedReport says what Seed did.
type SeedReport struct {
	// SalonID is the demo salon's id.
	SalonID int64
	// Created counts the rows this run inserted.
	Created SeedCounts
	// Present counts the rows that were already there and were left as
	// they were.
	Present SeedCounts
}

// String summarises the report in one line for the command's output.
func (r SeedReport) String() string {
	if r.Created.Total() == 0 {
		return fmt.Sprintf("demo salon %d already present (%s); nothing created", r.SalonID, r.Present)
	}
	s := fmt.Sprintf("demo salon %d: created %s", r.SalonID, r.Created)
	if r.Present.Total() > 0 {
		s += fmt.Sprintf("; already present: %s", r.Present)
	}
	return s
}

// Seed loads the demo salon, whose data gives every dispatcher work at once.
// Times are relative to now (truncated to the minute):
//
//   - Salon "Demo Salon", phone +15555550100, time zone America/New_York,
//     review link https://example.com/demo-salon/review.
//   - Technicians Alex Rivera, Sam Chen and Jordan Lee, all active and
//     checked in to the walk-in rotation (technician_queue) 2 h ago at
//     positions 1, 2, 3 with 2, 1 and 0 turns taken, for the 08:00 UTC
//     queue reset to clear.
//   - Eight customers, one appointment each:
//     Maria Garcia +15555550101: booked, starts in 2 h (due for confirmation);
//     James Smith +15555550102: booked, starts in 5 h (due for confirmation);
//     Noah Wilson +15555550108: booked, starts in 20 h (due for confirmation,
//     but he opted out of SMS 7 days ago, so his confirmation is skipped
//     with reason opted_out);
//     Aisha Khan +15555550103: booked, starts in 3 days (not due yet);
//     Wei Zhang +15555550104: completed 1 h ago (due for a review request);
//     Liam Johnson +15555550106: completed 2 h 30 min ago (due for a review
//     request);
//     Olivia Brown +15555550105: completed 2 days ago (too old for a review);
//     Sofia Rossi +15555550107: cancelled, was to start in 6 h (never
//     confirmed).
//   - Marketing consent: Maria, James, Aisha, Wei and Olivia (the five
//     campaign recipients) and Noah (opted out, so not a recipient); Liam
//     and Sofia have none.
//   - Campaign "Demo spring offer", status scheduled, send_at 1 min ago: due
//     now, it fans out to the five recipients.
//
// Review and campaign texts respect quiet hours (08:00–21:00 in New York),
// so outside them they wait rather than go out. Customers have emails
// <first>@example.com.
//
// Seed is idempotent: rows are found by natural keys (the salon by name and
// phone, technicians and the campaign by name, customers by phone, the
// queue by technician, appointments by customer) and only missing ones are
// inserted; existing rows, their times included, are never changed. A second
// run reports nothing created. Concurrent runs are serialized by a
// transaction-scoped advisory lock.
func Seed(ctx context.Context, pool *pgxpool.Pool, now time.Time) (SeedReport, error) {
	var report SeedReport
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		s := seeder{tx: tx, now: now.Truncate(time.Minute), report: &report}
		return s.run(ctx)
	})
	if err != nil {
		return SeedReport{}, fmt.Errorf("seed demo salon: %w", err)
	}
	return report, nil
}

// seeder carries one Seed run's transaction and tallies.
type seeder struct {
	tx     pgx.Tx
	now    time.Time
	report *SeedReport
}

// tally records a row as created or present in the field count picks.
func (s *seeder) tally(created bool, count func(*SeedCounts) *int) {
	if created {
		*count(&s.report.Created)++
	} else {
		*count(&s.report.Present)++
	}
}

// ensure returns the id of the row find selects, inserting it with insert
// (which must return the id) when find selects nothing.
func (s *seeder) ensure(ctx context.Context, find string, findArgs []any, insert string, insertArgs []any) (int64, bool, error) {
	var id int64
	err := s.tx.QueryRow(ctx, find, findArgs...).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, err
	}
	if err := s.tx.QueryRow(ctx, insert, insertArgs...).Scan(&id); err != nil {
		return 0, false, err
	}
	return id, true, nil
}
