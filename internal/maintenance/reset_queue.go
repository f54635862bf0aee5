package maintenance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/tasks/salon"
)

// QueueSnapshotEntry is one technician's place in the rotation as the
// snapshot keeps it; queue_reset_snapshots.snapshot holds a JSON array of
// them, ordered by position (technicians out of line last), then id.
type QueueSnapshotEntry struct {
	// TechnicianID identifies the technician.
	TechnicianID int64 `json:"technician_id"`
	// Name is the technician's name at the time of the reset.
	Name string `json:"name"`
	// Position is the place in line; nil when not in line.
	Position *int `json:"position"`
	// TurnsTaken is the number of walk-ins taken that day.
	TurnsTaken int `json:"turns_taken"`
	// CheckedInAt is when the technician checked in; nil when not.
	CheckedInAt *time.Time `json:"checked_in_at"`
}

// ResetResult says what one run did, salon ids in ascending order.
type ResetResult struct {
	// Date is the day reset, YYYY-MM-DD.
	Date string
	// Reset lists the salons this run snapshotted and cleared.
	Reset []int64
	// AlreadyReset lists the salons that had a snapshot for Date already
	// and were left unchanged.
	AlreadyReset []int64
	// Failed lists the salons whose transaction failed and was rolled back.
	Failed []int64
}

// ResetQueue handles one attempt of salon:reset_queue: it resets every
// salon's queue for the payload's date, today (UTC) when it has none.
func (h *Maintenance) ResetQueue(ctx context.Context, _ *asynq.Task, p *salon.ResetQueuePayload) error {
	date := p.Date
	if date == "" {
		date = utcDate(h.Clock.Now(), 0)
	}
	_, err := h.ResetQueueFor(ctx, date)
	return err
}

// ResetQueueFor resets every salon's queue for date (YYYY-MM-DD). For
// every salon, in one transaction of its own, it keeps a snapshot of the
// salon's technician_queue in queue_reset_snapshots and clears turns taken,
// positions and check-ins.
//
// The snapshot's unique (salon_id, reset_date) is the record that a salon
// was reset for a date: a salon that has one is left alone, so a second
// run, a concurrent run or a retry after a partial failure only resets the
// salons still missing. A salon that fails is logged with its error and
// the others go on; the error returned then counts the failures, and a
// retry redoes only those salons.
func (h *Maintenance) ResetQueueFor(ctx context.Context, date string) (ResetResult, error) {
	log := logger(h.Logger)
	res := ResetResult{Date: date}
	ids, err := salonIDs(ctx, h.Pool)
	if err != nil {
		return res, fmt.Errorf("reset queues for %s: %w", date, err)
	}
	var firstErr error
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("reset queues for %s: stopped after %d of %d salons: %w",
				date, len(res.Reset)+len(res.AlreadyReset)+len(res.Failed), len(ids), err)
		}
		outcome, err := h.resetSalon(ctx, id, date)
		switch {
		case err != nil:
			res.Failed = append(res.Failed, id)
			if firstErr == nil {
				firstErr = fmt.Errorf("salon %d: %w", id, err)
			}
			log.Error("queue reset failed for salon", "salon_id", id, "date", date, "error", err.Error())
		case outcome == salonReset:
			res.Reset = append(res.Reset, id)
		case outcome == salonAlreadyReset:
			res.AlreadyReset = append(res.AlreadyReset, id)
			log.Info("queue already reset", "salon_id", id, "date", date)
		}
	}
	log.Info("queue reset finished", "date", date, "salons_reset", len(res.Reset),
		"already_reset", len(res.AlreadyReset), "failed", len(res.Failed))
	if n := len(res.Failed); n > 0 {
		return res, fmt.Errorf("reset queues for %s: %d of %d salons failed (ids %s), first %w",
			date, n, len(ids), idList(res.Failed), firstErr)
	}
	return res, nil
}

// idList formats ids for an error message, the first ten of them.
func idList(ids []int64) string {
	const most = 10
	if len(ids) <= most {
		return fmt.Sprint(ids)
	}
	return fmt.Sprintf("%v and %d more", ids[:most], len(ids)-most)
}

func salonIDs(ctx context.Context, pool *pgxpool.Pool) ([]int64, error) {
	rows, err := pool.Query(ctx, "SELECT id FROM salons ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list salons: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list salons: %w", err)
	}
	return ids, nil
}

// errSalonGone ends the transaction of a salon deleted since it was listed.
var errSalonGone = errors.New("salon deleted")

// salonOutcome is what resetSalon did with one salon.
type salonOutcome int

const (
	salonReset salonOutcome = iota
	salonAlreadyReset
	salonGone // deleted since the run listed it: nothing to reset
)

// resetSalon snapshots and clears one salon's queue for date in one
// transaction, unless it has been reset for date already.
func (h *Maintenance) resetSalon(ctx context.Context, salonID int64, date string) (salonOutcome, error) {
	outcome := salonAlreadyReset
	err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		// Serializes resets of this salon. NO KEY UPDATE leaves the API free
		// to insert rows that reference the salon meanwhile.
		var id int64
		err := tx.QueryRow(ctx, "SELECT id FROM salons WHERE id = $1 FOR NO KEY UPDATE", salonID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errSalonGone
		}
		if err != nil {
			return fmt.Errorf("lock salon: %w", err)
		}
		// The rows snapshotted are exactly the rows cleared: none can
		// change in between, and one checked in after this lock is left as
		// it is, neither snapshotted nor cleared.
		rows, err := tx.Query(ctx,
			"SELECT technician_id FROM technician_queue WHERE salon_id = $1 ORDER BY technician_id FOR UPDATE", salonID)
		if err != nil {
			return fmt.Errorf("lock queue: %w", err)
		}
		techIDs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("lock queue: %w", err)
		}
		tag, err := tx.Exec(ctx, snapshotSQL, salonID, date, techIDs)
		if err != nil {
			return fmt.Errorf("snapshot queue: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil // already reset for date
		}
		if _, err := tx.Exec(ctx, `
			UPDATE technician_queue SET turns_taken = 0, position = NULL, checked_in_at = NULL
			WHERE salon_id = $1 AND technician_id = ANY($2)`, salonID, techIDs); err != nil {
			return fmt.Errorf("clear queue: %w", err)
		}
		outcome = salonReset
		return nil
	})
	if errors.Is(err, errSalonGone) {
		return salonGone, nil
	}
	return outcome, err
}

// snapshotSQL keeps the salon's locked queue rows as a JSON array of
// QueueSnapshotEntry, unless the salon has a snapshot for the date already.
// Times are written in UTC whatever the session's time zone.
const snapshotSQL = `
INSERT INTO queue_reset_snapshots (salon_id, reset_date, snapshot)
SELECT $1, $2::date, COALESCE(jsonb_agg(jsonb_build_object(
           'technician_id', q.technician_id,
           'name', t.name,
           'position', q.position,
           'turns_taken', q.turns_taken,
           'checked_in_at', to_char(q.checked_in_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
         ORDER BY q.position NULLS LAST, q.technician_id), '[]'::jsonb)
FROM technician_queue q
JOIN technicians t ON t.id = q.technician_id
WHERE q.salon_id = $1 AND q.technician_id = ANY($3)
ON CONFLICT (salon_id, reset_date) DO NOTHING`
