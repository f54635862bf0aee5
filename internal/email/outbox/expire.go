package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// lostMessage is the error of a row whose worker vanished mid-send.
const lostMessage = OutcomeUnknown + "claimed by an attempt that never finished (worker lost mid-send); not resent"

// ExpireSending resolves a row found in sending by another attempt (a
// duplicate task, or a retry after the worker died). When the claim is
// older than lease (measured on the database's clock, which set it), the
// row moves to failed with OutcomeUnknown and expired is true: its worker
// is gone and nobody can tell whether the provider got the email. A younger
// claim is left alone and remaining says how long until it would expire. A
// row no longer sending returns a *StateError.
func (s *Store) ExpireSending(ctx context.Context, id int64, lease time.Duration) (expired bool, remaining time.Duration, err error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE email_messages SET status = 'failed', error = $3
		WHERE id = $1 AND status = 'sending' AND updated_at <= now() - make_interval(secs => $2)`,
		id, lease.Seconds(), lostMessage)
	if err != nil {
		return false, 0, fmt.Errorf("expire email %d: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return true, 0, nil
	}
	var (
		status string
		age    float64
	)
	err = s.pool.QueryRow(ctx, `SELECT status, extract(epoch FROM now() - updated_at)::float8
		FROM email_messages WHERE id = $1`, id).Scan(&status, &age)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return false, 0, fmt.Errorf("expire email %d: %w", id, err)
	}
	if Status(status) != StatusSending {
		return false, 0, table.StateError("expire", id, Status(status))
	}
	return false, max(lease-time.Duration(age*float64(time.Second)), 0), nil
}

// ExpireAllSending is ExpireSending for every row claimed longer than lease
// ago, for a periodic sweep: it catches rows whose task will not come back
// (a worker killed on the task's last retry). It returns the rows it
// failed, for the operator's log.
func (s *Store) ExpireAllSending(ctx context.Context, lease time.Duration) ([]Message, error) {
	rows, err := s.pool.Query(ctx, `
		UPDATE email_messages SET status = 'failed', error = $2
		WHERE status = 'sending' AND updated_at <= now() - make_interval(secs => $1)
		RETURNING `+columns, lease.Seconds(), lostMessage)
	if err != nil {
		return nil, fmt.Errorf("expire stuck emails: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("expire stuck emails: %w", err)
	}
	return msgs, nil
}
