// Package maintenance holds the sync queue's housekeeping handlers that the
// scheduler fires every day: salon:reset_queue, which snapshots and clears
// every salon's technician walk-in rotation, and sync:daily_stats, which
// rolls one day's appointments up into daily_stats.
//
// Both are safe to run twice, at once, or again after a partial failure:
// the database, not the caller, decides what is already done.
package maintenance

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/clock"
)

// Maintenance handles salon:reset_queue (ResetQueue) and sync:daily_stats
// (DailyStats), the sync queue's daily housekeeping.
type Maintenance struct {
	// Pool is the database.
	Pool *pgxpool.Pool
	// Logger receives per-salon reset failures, "already reset" notes and
	// one summary line per run; nil discards them.
	Logger *slog.Logger
	// Clock picks the default date of a task without one; nil is the wall
	// clock.
	Clock clock.Clock
}

// logger returns l, or a logger that discards everything when l is nil.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// utcDate returns t's calendar date in UTC, YYYY-MM-DD, offset by days.
func utcDate(t time.Time, days int) string {
	return t.UTC().AddDate(0, 0, days).Format(time.DateOnly)
}
