package reports

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Report types: the values of reports.type.
const (
	TypeAppointmentsExport = "appointments_export"
	TypeSalonSummary       = "salon_summary"
)

// report is a reports row with its salon, as generation reads it.
type report struct {
	ID        int64
	Type      string
	SalonID   int64
	From, To  time.Time // calendar dates, inclusive
	Email     string
	SalonName string
	TimeZone  string
	// Status, StorageKey and URL are read for a report already finished.
	Status     string
	StorageKey string
	URL        string
}

// errNoReport says there is no reports row with the id.
var errNoReport = errors.New("report does not exist")

// claim moves report id to running and returns it. A row already running
// is taken again: it is the retry of an attempt that failed. A finished
// row comes back with its status and no error, to be left alone.
func claim(ctx context.Context, db *pgxpool.Pool, id int64, now time.Time) (report, error) {
	r := report{ID: id}
	err := db.QueryRow(ctx, `
		UPDATE reports r SET status = 'running', progress = 0, error = NULL,
		       started_at = coalesce(r.started_at, $2)
		FROM salons s
		WHERE r.id = $1 AND s.id = r.salon_id AND r.status IN ('pending', 'running')
		RETURNING r.type, r.salon_id, r.period_from, r.period_to, r.requested_by_email, s.name, s.timezone, r.status`,
		id, now).
		Scan(&r.Type, &r.SalonID, &r.From, &r.To, &r.Email, &r.SalonName, &r.TimeZone, &r.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		err = db.QueryRow(ctx, `
			SELECT r.type, r.salon_id, r.period_from, r.period_to, r.requested_by_email, s.name, s.timezone,
			       r.status, coalesce(r.storage_key, ''), coalesce(r.download_url, '')
			FROM reports r JOIN salons s ON s.id = r.salon_id WHERE r.id = $1`, id).
			Scan(&r.Type, &r.SalonID, &r.From, &r.To, &r.Email, &r.SalonName, &r.TimeZone, &r.Status, &r.StorageKey, &r.URL)
		if errors.Is(err, pgx.ErrNoRows) {
			return r, errNoReport
		}
	}
	if err != nil {
		return r, fmt.Errorf("claim report %d: %w", id, err)
	}
	return r, nil
}

// setProgress raises the row's progress to pct; it never goes back.
func setProgress(ctx context.Context, db *pgxpool.Pool, id int64, pct int) error {
	_, err := db.Exec(ctx, `UPDATE reports SET progress = $2 WHERE id = $1 AND status = 'running' AND progress < $2`, id, pct)
	if err != nil {
		return fmt.Errorf("report %d progress: %w", id, err)
	}
	return nil
}

// markDone records the finished report and its link.
func markDone(ctx context.Context, db *pgxpool.Pool, id int64, key, url string, now time.Time) error {
	_, err := db.Exec(ctx, `
		UPDATE reports SET status = 'done', progress = 100, storage_key = $2, download_url = $3,
		       error = NULL, finished_at = $4
		WHERE id = $1 AND status = 'running'`, id, key, url, now)
	if err != nil {
		return fmt.Errorf("mark report %d done: %w", id, err)
	}
	return nil
}

// markFailed records why the report could not be made.
func markFailed(ctx context.Context, db *pgxpool.Pool, id int64, reason string, now time.Time) error {
	_, err := db.Exec(ctx, `
		UPDATE reports SET status = 'failed', error = $2, finished_at = $3
		WHERE id = $1 AND status IN ('pending', 'running')`, id, reason, now)
	if err != nil {
		return fmt.Errorf("mark report %d failed: %w", id, err)
	}
	return nil
}

// readTx runs f in a read-only snapshot with the session time zone set to
// the salon's, so dates and times in SQL are the salon's local ones. An
// unknown zone is a *failure (permanent).
func readTx(ctx context.Context, db *pgxpool.Pool, tz string, f func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('TimeZone', $1, true)`, tz); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "22023" { // invalid_parameter_value
				return fail(fmt.Sprintf("the salon's time zone %q is not known", tz), err)
			}
			return fmt.Errorf("set time zone: %w", err)
		}
		return f(tx)
	})
}
