package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// lostMessage is the error of a row whose worker vanished mid-send.
const lostMessage = OutcomeUnknown + "claimed by an attempt that never finished (worker lost after handing it to the provider); not resent"

// unhandedMessage is the error kept on a row put back because its worker
// vanished before handing it to the provider.
const unhandedMessage = "claimed by an attempt that never finished (worker lost before the provider was called); sent again"

// Expiry is what ExpireSending did with a row found sending.
type Expiry int

const (
	// ExpiryNone: the claim is younger than the lease; left alone.
	ExpiryNone Expiry = iota
	// ExpiryReleased: the claim never reached the provider; the row is
	// pending again (its attempt given back), to be sent now.
	ExpiryReleased
	// ExpiryFailed: the claim was handed to the provider (or made by a
	// daemon that did not record hand-overs); the row failed, outcome
	// unknown.
	ExpiryFailed
)

// ExpireSending resolves a row found in sending by another attempt (a
// duplicate task, or a retry after the worker died). When the claim is
// older than lease (measured on the database's clock, which set it), its
// worker is gone: a claim never handed to the provider goes back to pending
// (ExpiryReleased), since nothing left; a handed one moves to failed with
// OutcomeUnknown (ExpiryFailed), since nobody can tell whether the provider
// got the email. A younger claim is left alone and remaining says how long
// until it would expire. A row no longer sending returns a *StateError.
func (s *Store) ExpireSending(ctx context.Context, id int64, lease time.Duration) (expiry Expiry, remaining time.Duration, err error) {
	var handover *string
	err = s.pool.QueryRow(ctx, `
		WITH old AS (SELECT id, handover FROM email_messages WHERE id = $1 FOR UPDATE)
		UPDATE email_messages e SET
			status = CASE WHEN old.handover = 'claimed' THEN 'pending' ELSE 'failed' END,
			attempts = CASE WHEN old.handover = 'claimed' THEN greatest(e.attempts - 1, 0) ELSE e.attempts END,
			error = CASE WHEN old.handover = 'claimed' THEN $4 ELSE $3 END,
			handover = NULL
		FROM old
		WHERE e.id = old.id AND e.status = 'sending' AND e.updated_at <= now() - make_interval(secs => $2)
		RETURNING old.handover`,
		id, lease.Seconds(), lostMessage, unhandedMessage).Scan(&handover)
	switch {
	case err == nil && handover != nil && *handover == "claimed":
		return ExpiryReleased, 0, nil
	case err == nil:
		return ExpiryFailed, 0, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return ExpiryNone, 0, fmt.Errorf("expire email %d: %w", id, err)
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
		return ExpiryNone, 0, fmt.Errorf("expire email %d: %w", id, err)
	}
	if Status(status) != StatusSending {
		return ExpiryNone, 0, table.StateError("expire", id, Status(status))
	}
	return ExpiryNone, max(lease-time.Duration(age*float64(time.Second)), 0), nil
}

// ExpireAllSending is ExpireSending for every row claimed longer than lease
// ago, for a periodic sweep: it catches rows whose task will not come back
// (a worker killed on the task's last retry). Claims never handed to the
// provider go back to pending, so that a re-run of the archived task sends
// the email; it returns the rows it failed, for the operator's log.
func (s *Store) ExpireAllSending(ctx context.Context, lease time.Duration) ([]Message, error) {
	_, err := s.pool.Exec(ctx, `
		UPDATE email_messages SET status = 'pending', attempts = greatest(attempts - 1, 0), error = $2, handover = NULL
		WHERE status = 'sending' AND handover = 'claimed' AND updated_at <= now() - make_interval(secs => $1)`,
		lease.Seconds(), unhandedMessage)
	if err != nil {
		return nil, fmt.Errorf("release stuck emails: %w", err)
	}
	rows, err := s.pool.Query(ctx, `
		UPDATE email_messages SET status = 'failed', error = $2, handover = NULL
		WHERE status = 'sending' AND handover IS DISTINCT FROM 'claimed' AND updated_at <= now() - make_interval(secs => $1)
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
