package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/postgres/outboxkit"
)

// Claim takes row id for sending, in its own committed statement, before
// the provider is called: pending → sending, attempts+1, handover claimed
// (updated_at, the claim's time, is set by the table's trigger). It
// returns the row as claimed. A row in any other state is refused with a
// *StateError matching ErrNotClaimable; a missing row with ErrNotFound.
func (s *Store) Claim(ctx context.Context, id int64) (Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `
		UPDATE email_messages SET status = 'sending', attempts = attempts + 1, handover = 'claimed'
		WHERE id = $1 AND status = 'pending'
		RETURNING `+columns, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, table.Refused(ctx, s.pool, outboxkit.OpClaim, id)
	}
	if err != nil {
		return Message{}, fmt.Errorf("claim email %d: %w", id, err)
	}
	return m, nil
}

// MarkHanded records, in its own committed statement, that the claimed row
// id is about to be handed to the provider: handover claimed → handed. Call
// it just before the request leaves, and do not send when it fails: a claim
// never handed over is put back, not written off, when its worker is lost
// (see ExpireSending).
func (s *Store) MarkHanded(ctx context.Context, id int64) error {
	return table.Transition(ctx, s.pool, "mark handed", id, `
		UPDATE email_messages SET handover = 'handed'
		WHERE id = $1 AND status = 'sending' AND handover = 'claimed'`, id)
}

// Release puts a claimed row back (sending → pending) after an attempt the
// provider certainly did not accept (a refused connection, an error before
// the request left), recording msg. The attempt stays counted.
func (s *Store) Release(ctx context.Context, id int64, msg string) error {
	return table.Transition(ctx, s.pool, "release", id, `
		UPDATE email_messages SET status = 'pending', handover = NULL, error = $2
		WHERE id = $1 AND status = 'sending'`, id, null(outboxkit.Truncate(msg)))
}

// Postpone puts a claimed row back (sending → pending) because the provider
// asked us to wait (throttling, a paused account), recording reason, and
// gives the claim's attempt back: waiting never uses up attempts.
func (s *Store) Postpone(ctx context.Context, id int64, reason string) error {
	return table.Transition(ctx, s.pool, "postpone", id, `
		UPDATE email_messages SET status = 'pending', attempts = greatest(attempts - 1, 0), handover = NULL, error = $2
		WHERE id = $1 AND status = 'sending'`, id, null(outboxkit.Truncate(reason)))
}

// MarkSent records the provider's acceptance of a claimed row: sending →
// sent, with the provider's message ID and sent_at = now; the error of an
// earlier attempt is cleared. Recording the same ID again is a no-op.
func (s *Store) MarkSent(ctx context.Context, id int64, providerID string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE email_messages SET status = 'sent', provider_message_id = $2, sent_at = $3, error = NULL
		WHERE id = $1 AND status = 'sending'`, id, null(providerID), now)
	if err != nil {
		return fmt.Errorf("mark sent email %d: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var recorded bool
	err = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM email_messages
		WHERE id = $1 AND status = 'sent' AND provider_message_id IS NOT DISTINCT FROM $2)`, id, null(providerID)).Scan(&recorded)
	if err != nil {
		return fmt.Errorf("mark sent email %d: %w", id, err)
	}
	if recorded {
		return nil
	}
	return table.Refused(ctx, s.pool, "mark sent", id)
}

// MarkFailed records an email that will never be sent: the provider refused
// it (sending → failed), or it could not be rendered (pending → failed).
// msg is what the operator reads.
func (s *Store) MarkFailed(ctx context.Context, id int64, msg string) error {
	if msg == "" {
		return fmt.Errorf("mark failed email %d: %w: a reason is required", id, ErrInvalid)
	}
	return table.Transition(ctx, s.pool, "mark failed", id, `
		UPDATE email_messages SET status = 'failed', error = $2
		WHERE id = $1 AND status IN ('pending', 'sending')`, id, outboxkit.Truncate(msg))
}

// MarkUnknown records that a claimed row's attempt has no known outcome (a
// timeout after the request left, a 5xx, an unreadable answer): sending →
// failed, with OutcomeUnknown and the cause. It is never resent
// automatically (see the package documentation).
func (s *Store) MarkUnknown(ctx context.Context, id int64, cause error) error {
	msg := OutcomeUnknown + "no answer"
	if cause != nil {
		msg = OutcomeUnknown + cause.Error()
	}
	return table.Transition(ctx, s.pool, "mark unknown", id, `
		UPDATE email_messages SET status = 'failed', error = $2
		WHERE id = $1 AND status = 'sending'`, id, outboxkit.Truncate(msg))
}

// MarkSkipped records that a row will never be sent, and why
// (SkipSuppressed, …): pending | sending → skipped.
func (s *Store) MarkSkipped(ctx context.Context, id int64, reason string) error {
	if reason == "" {
		return fmt.Errorf("mark skipped email %d: %w: a reason is required", id, ErrInvalid)
	}
	return table.Transition(ctx, s.pool, "mark skipped", id, `
		UPDATE email_messages SET status = 'skipped', skip_reason = $2
		WHERE id = $1 AND status IN ('pending', 'sending')`, id, reason)
}
