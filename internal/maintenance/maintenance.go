// Package maintenance holds the sync queue's housekeeping handlers that the
// scheduler fires every day: salon:reset_queue, which snapshots and clears
// every salon's technician walk-in rotation, and sync:daily_stats, which
// rolls one day's appointments up into daily_stats.
//
// Both are safe to run twice, at once, or again after a partial failure:
// the database, not the caller, decides what is already done.
package maintenance

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/tasks"
)

// decode strictly decodes and validates the payload of kind, the same way
// the ingest bridge and jobs enqueue do; an empty payload stands for {}. A
// payload that fails is permanent: retrying cannot fix it.
func decode[P any](kind string, raw []byte) (*P, error) {
	p, err := tasks.Decode(kind, raw)
	if err != nil {
		return nil, taskerr.Permanent("invalid "+kind+" payload", err)
	}
	typed, ok := any(p).(*P)
	if !ok {
		// Only a catalogue that maps kind to another payload type gets here.
		return nil, taskerr.Permanent(fmt.Sprintf("%s decodes to %T", kind, p), nil)
	}
	return typed, nil
}

// clock returns now, or time.Now when now is nil.
func clock(now func() time.Time) time.Time {
	if now == nil {
		return time.Now()
	}
	return now()
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
