package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReleaseStaleClaims puts back to pending, in one statement, up to limit
// rows claimed before now minus StuckAfter that never reached Twilio
// (handover still claimed): their worker died, or lost the database,
// between claim and hand-over. Their attempt is given back. It returns the
// ids released, for the caller to enqueue at once; the send path checks
// consent, quiet hours and the campaign again as for any pending row.
// Rows of a cancelled or paused campaign are released but not returned:
// nothing enqueues them (a paused campaign's wait for it to resume, with
// WaitCampaignPaused; a cancelled one's are skipped by
// SkipCancelledCampaigns).
func (s *Store) ReleaseStaleClaims(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `
		WITH released AS (
			UPDATE sms_messages m SET status = 'pending', attempts = greatest(attempts - 1, 0),
				claimed_at = NULL, handover = NULL, handed_at = NULL,
				wait_reason = CASE WHEN EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign_id AND c.status = 'paused')
					THEN 'campaign_paused' ELSE m.wait_reason END
			WHERE id IN (
				SELECT id FROM sms_messages
				WHERE status = 'sending' AND handover = 'claimed' AND claimed_at < $1
				ORDER BY claimed_at, id LIMIT $2
				FOR UPDATE SKIP LOCKED)
			  AND status = 'sending' AND handover = 'claimed' AND claimed_at < $1
			RETURNING id, campaign_id)
		SELECT id FROM released m WHERE NOT `+stoppedCampaign+`
		ORDER BY id`, now.Add(-s.stuckAfter), limit)
	if err != nil {
		return nil, fmt.Errorf("release stale claims: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("release stale claims: %w", err)
	}
	return ids, nil
}

// MarkStuckUnknown moves to unknown, in one statement, up to limit rows
// still sending more than StuckAfter after they were handed to Twilio (or
// claimed, for a claim that did not record its hand-over): their worker
// died, or could not record the answer. It returns how many it moved.
func (s *Store) MarkStuckUnknown(ctx context.Context, now time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE sms_messages SET status = 'unknown', handed_at = coalesce(handed_at, claimed_at),
			error_message = 'worker gone after handing the text to Twilio',
			absent_at = NULL, lookup_after = NULL, lookups_failed = 0
		WHERE id IN (
			SELECT id FROM sms_messages
			WHERE status = 'sending' AND handover IS DISTINCT FROM 'claimed'
			  AND coalesce(handed_at, claimed_at) < $1
			ORDER BY claimed_at, id LIMIT $2
			FOR UPDATE SKIP LOCKED)
		  AND status = 'sending' AND handover IS DISTINCT FROM 'claimed'`, now.Add(-s.stuckAfter), limit)
	if err != nil {
		return 0, fmt.Errorf("mark stuck sends unknown: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ListUnknown returns up to limit unknown rows due for a lookup at now
// (never looked up, or LookupAfter passed), those waiting longest first.
func (s *Store) ListUnknown(ctx context.Context, now time.Time, limit int) ([]Message, error) {
	return s.collect(ctx, "list unknown messages", `SELECT `+columns+` FROM sms_messages
		WHERE status = 'unknown' AND (lookup_after IS NULL OR lookup_after <= $1)
		ORDER BY lookup_after NULLS FIRST, id
		LIMIT $2`, now, limit)
}

// ListInFlightTo returns every row to the number to that Twilio may hold
// without our knowing its SID: unknown, or sending after a hand-over. The
// reconciler matches Twilio's messages to them together, so that two texts
// to one number are never given each other's SID.
func (s *Store) ListInFlightTo(ctx context.Context, to string) ([]Message, error) {
	return s.collect(ctx, "list in-flight messages", `SELECT `+columns+` FROM sms_messages
		WHERE to_phone = $1 AND (status = 'unknown'
			OR status = 'sending' AND handover IS DISTINCT FROM 'claimed' AND twilio_sid IS NULL)
		ORDER BY coalesce(handed_at, claimed_at), id`, to)
}

// RecordedSIDs returns which of sids some row already holds.
func (s *Store) RecordedSIDs(ctx context.Context, sids []string) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT twilio_sid FROM sms_messages WHERE twilio_sid = ANY($1)`, sids)
	if err != nil {
		return nil, fmt.Errorf("look up recorded SIDs: %w", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look up recorded SIDs: %w", err)
	}
	out := make(map[string]bool, len(got))
	for _, sid := range got {
		out[sid] = true
	}
	return out, nil
}

// RecordAbsent records a complete lookup at now that found no trace of
// unknown row id: absent_at is set by the first one and kept after, and
// the next lookup waits until next. It reports the row's absent_at.
func (s *Store) RecordAbsent(ctx context.Context, id int64, now, next time.Time) (absentSince time.Time, err error) {
	err = s.pool.QueryRow(ctx, `
		UPDATE sms_messages SET absent_at = coalesce(absent_at, $2), lookup_after = $3
		WHERE id = $1 AND status = 'unknown'
		RETURNING absent_at`, id, now, next).Scan(&absentSince)
	if err == pgx.ErrNoRows {
		return time.Time{}, table.Refused(ctx, s.pool, "record absence", id)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("record absence of message %d: %w", id, err)
	}
	return absentSince, nil
}

// RecordLookupFailed records a lookup of unknown row id that could not
// decide (Twilio unreachable, a list that did not reach back far enough):
// lookups_failed+1, and the next lookup waits until next.
func (s *Store) RecordLookupFailed(ctx context.Context, id int64, next time.Time) error {
	return table.Transition(ctx, s.pool, "record failed lookup", id, `
		UPDATE sms_messages SET lookups_failed = lookups_failed + 1, lookup_after = $2
		WHERE id = $1 AND status = 'unknown'`, id, next)
}

// MarkFoundUnattributed records that Twilio holds the text of unknown row
// id but which of a number's messages is its own cannot be told (several
// texts to one number, handed over together): unknown → sent, no SID. Its
// status callback, which names the row, records the SID later.
func (s *Store) MarkFoundUnattributed(ctx context.Context, id int64, now time.Time) error {
	return table.Transition(ctx, s.pool, "mark found", id, `
		UPDATE sms_messages SET status = 'sent', sent_at = $2
		WHERE id = $1 AND status = 'unknown'`, id, now)
}

// IdlePending is a pending row whose task may be lost.
type IdlePending struct {
	ID int64
	// UpdatedAt is when the row last changed.
	UpdatedAt time.Time
	// SendAfter is when it may go out; zero for now.
	SendAfter time.Time
	// Bulk is a review or marketing text (not a transactional one).
	Bulk bool
	// WaitReason is why it waits (WaitQuietHours, …), if it does.
	WaitReason string
	// SalonID is the row's salon.
	SalonID int64
}

// ListIdlePending returns up to limit pending rows, by id above afterID,
// that changed last before idleBefore (any time, when it is zero): rows
// whose task may be lost. Rows
// waiting for a later send_after are left out unless withWaiting (after
// Redis lost its data, their scheduled tasks are gone too), and so are
// rows of a cancelled or paused campaign, which must not be sent.
func (s *Store) ListIdlePending(ctx context.Context, idleBefore time.Time, withWaiting bool, afterID int64, limit int) ([]IdlePending, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, updated_at, send_after, kind = 'review' OR category = 'marketing', coalesce(wait_reason, ''), salon_id FROM sms_messages m
		WHERE status = 'pending' AND id > $2 AND ($1::timestamptz IS NULL OR updated_at < $1)
		  AND ($3 OR send_after IS NULL OR send_after < $1)
		  AND NOT `+stoppedCampaign+`
		ORDER BY id LIMIT $4`, nullTime(idleBefore), afterID, withWaiting, limit)
	if err != nil {
		return nil, fmt.Errorf("list idle pending messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (IdlePending, error) {
		var (
			i     IdlePending
			after *time.Time
		)
		err := row.Scan(&i.ID, &i.UpdatedAt, &after, &i.Bulk, &i.WaitReason, &i.SalonID)
		i.SendAfter = deref(after)
		return i, err
	})
	if err != nil {
		return nil, fmt.Errorf("list idle pending messages: %w", err)
	}
	return out, nil
}

func (s *Store) collect(ctx context.Context, op, sql string, args ...any) ([]Message, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	msgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Message, error) { return scanMessage(row) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return msgs, nil
}

// MarkWaiting records that the pending rows ids wait, for waitReason
// (WaitRateLimited: in their sender's line; WaitQuietHours), until about
// sendAfter; rows no longer pending are left alone.
func (s *Store) MarkWaiting(ctx context.Context, ids []int64, waitReason string, sendAfter time.Time) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE sms_messages SET wait_reason = $2, send_after = $3
		WHERE id = ANY($1) AND status = 'pending'`, ids, waitReason, sendAfter)
	if err != nil {
		return fmt.Errorf("mark %d messages waiting (%s): %w", len(ids), waitReason, err)
	}
	return nil
}
