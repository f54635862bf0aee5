package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/postgres/outboxkit"
)

// Claim takes row id for sending at now, in its own committed statement,
// before Twilio is called: pending → sending, attempts+1, claimed_at = now,
// handover = claimed. It returns the row as claimed.
//
// It also takes over a claim that never reached Twilio (handover still
// claimed) and is older than StuckAfter: its worker died or lost the
// database before the hand-over, so nothing was sent and the attempt is not
// counted twice. A row in any other state, including one sending under a
// live claim or a handed one however old (the reconciler's, see
// MarkStuckUnknown), is refused with a *StateError matching
// ErrNotClaimable; a missing row with ErrNotFound.
//
// Claim does not look at SendAfter: the caller decides whether now is a
// good time (quiet hours, rate) and releases the row when it is not.
func (s *Store) Claim(ctx context.Context, id int64, now time.Time) (Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `
		UPDATE sms_messages SET status = 'sending',
			attempts = attempts + CASE WHEN status = 'pending' THEN 1 ELSE 0 END,
			claimed_at = $2, handover = 'claimed', handed_at = NULL,
			absent_at = NULL, lookup_after = NULL, lookups_failed = 0
		WHERE id = $1 AND (status = 'pending' OR status = 'sending' AND handover = 'claimed' AND claimed_at < $3)
		RETURNING `+columns, id, now, now.Add(-s.stuckAfter)))
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, table.Refused(ctx, s.pool, outboxkit.OpClaim, id)
	}
	if err != nil {
		return Message{}, fmt.Errorf("claim message %d: %w", id, err)
	}
	return m, nil
}

// MarkHanded records, in its own committed statement, that the claim made
// at claimedAt is about to call Twilio: handover claimed → handed,
// handed_at = now, and the sender it leaves from (empty: not recorded),
// under which the reconciler looks it up. Call it just before the request leaves and do not send
// when it fails: from now on the row is never put back to pending without
// evidence that Twilio did not take it. The claim time guards against a
// worker whose claim was taken over meanwhile (see Claim).
func (s *Store) MarkHanded(ctx context.Context, id int64, claimedAt, now time.Time, sender string) error {
	return table.Transition(ctx, s.pool, "mark handed", id, `
		UPDATE sms_messages SET handover = 'handed', handed_at = $3, sender = $4
		WHERE id = $1 AND status = 'sending' AND handover = 'claimed' AND claimed_at = $2`, id, claimedAt, now, null(sender))
}

// Release puts a claimed row back (sending → pending) because it must wait:
// waitReason (WaitQuietHours, WaitRateLimited) and sendAfter are recorded,
// and the claim's attempt is given back (attempts-1, claimed_at and the
// hand-over cleared), so waiting never uses up attempts. The caller
// reschedules the task for sendAfter. A handed row may be released only on
// proof that Twilio did not take the text (a refused connection, a 429).
func (s *Store) Release(ctx context.Context, id int64, waitReason string, sendAfter time.Time) error {
	return table.Transition(ctx, s.pool, "release", id, `
		UPDATE sms_messages SET status = 'pending', attempts = greatest(attempts - 1, 0),
			claimed_at = NULL, handover = NULL, handed_at = NULL, wait_reason = $2, send_after = $3
		WHERE id = $1 AND status = 'sending'`, id, null(waitReason), nullTime(sendAfter))
}

// MarkSent records Twilio's acceptance of a claimed row, or of an unknown
// one the reconciler found at Twilio: sending | unknown → sent, with the
// SID and sent_at = now. Recording the same SID again is a no-op, even
// after a delivery callback has moved the row further.
func (s *Store) MarkSent(ctx context.Context, id int64, sid string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE sms_messages SET status = 'sent', twilio_sid = $2, sent_at = $3
		WHERE id = $1 AND status IN ('sending', 'unknown')`, id, sid, now)
	if err != nil {
		return fmt.Errorf("mark sent message %d: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var recorded bool
	err = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sms_messages WHERE id = $1 AND twilio_sid = $2)`, id, sid).Scan(&recorded)
	if err != nil {
		return fmt.Errorf("mark sent message %d: %w", id, err)
	}
	if recorded {
		return nil
	}
	return table.Refused(ctx, s.pool, "mark sent", id)
}

// MarkFailed records a send that cannot succeed (a permanent Twilio error,
// or the reconciler's verdict): sending | unknown → failed, with Twilio's
// error code (0 for none), a message and failed_at = now.
func (s *Store) MarkFailed(ctx context.Context, id int64, code int, msg string, now time.Time) error {
	return table.Transition(ctx, s.pool, "mark failed", id, `
		UPDATE sms_messages SET status = 'failed', error_code = $2, error_message = $3, failed_at = $4
		WHERE id = $1 AND status IN ('sending', 'unknown')`, id, null(code), null(outboxkit.Truncate(msg)), now)
}

// MarkSkipped records that a row will never be sent, and why (SkipOptedOut,
// SkipNoConsent, …): pending | sending → skipped.
func (s *Store) MarkSkipped(ctx context.Context, id int64, reason string) error {
	if reason == "" {
		return fmt.Errorf("mark skipped message %d: %w: a reason is required", id, ErrInvalid)
	}
	return table.Transition(ctx, s.pool, "mark skipped", id, `
		UPDATE sms_messages SET status = 'skipped', skip_reason = $2
		WHERE id = $1 AND status IN ('pending', 'sending')`, id, reason)
}

// MarkUnknown records that a claimed row's attempt has no known outcome
// (timeout, 5xx, unreadable answer, or a worker gone mid-send): sending →
// unknown, with the error's text. The reconciler decides what happened; it
// is never resent blindly.
func (s *Store) MarkUnknown(ctx context.Context, id int64, cause error) error {
	var msg string
	if cause != nil {
		msg = cause.Error()
	}
	return table.Transition(ctx, s.pool, "mark unknown", id, `
		UPDATE sms_messages SET status = 'unknown', error_message = $2,
			absent_at = NULL, lookup_after = NULL, lookups_failed = 0
		WHERE id = $1 AND status = 'sending'`, id, null(outboxkit.Truncate(msg)))
}

// Reopen makes an unknown row claimable again (unknown → pending, the claim
// and the lookups cleared, attempts kept): the reconciler's resend of a
// text that complete lookups at Twilio, a settle interval apart, found no
// trace of. The send path checks consent, quiet hours and the campaign
// again before it goes out.
func (s *Store) Reopen(ctx context.Context, id int64) error {
	return table.Transition(ctx, s.pool, "reopen", id, `
		UPDATE sms_messages SET status = 'pending', claimed_at = NULL, handover = NULL, handed_at = NULL,
			absent_at = NULL, lookup_after = NULL, lookups_failed = 0
		WHERE id = $1 AND status = 'unknown'`, id)
}
