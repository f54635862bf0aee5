package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Campaign states the send path and the passes act on (campaigns.status,
// written by the API).
const (
	// CampaignCancelled: no more text of the campaign goes out; its rows
	// end skipped (SkipCampaignCancelled).
	CampaignCancelled = "cancelled"
	// CampaignPaused: the campaign's rows wait (WaitCampaignPaused) until
	// the status is sending again.
	CampaignPaused = "paused"
)

// WaitCampaignPaused is the wait_reason of a row whose campaign is paused.
// Such a row has no task: ResumePaused gives it one when the campaign
// sends again.
const WaitCampaignPaused = "campaign_paused"

// stoppedCampaign is an SQL condition true when the row aliased m belongs
// to a cancelled or paused campaign: the sweeps leave those rows alone.
const stoppedCampaign = `EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign_id AND c.status IN ('cancelled', 'paused'))`

// CampaignStatus returns the status of campaign id ("" when it is gone).
func (s *Store) CampaignStatus(ctx context.Context, id int64) (string, error) {
	var status string
	err := s.pool.QueryRow(ctx, `SELECT status FROM campaigns WHERE id = $1`, id).Scan(&status)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("read status of campaign %d: %w", id, err)
	}
	return status, nil
}

// SkipCancelledCampaigns ends, in one statement, up to limit pending rows
// of cancelled campaigns skipped (SkipCampaignCancelled), paused ones
// included: they have no task that would. It returns how many.
func (s *Store) SkipCancelledCampaigns(ctx context.Context, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE sms_messages SET status = 'skipped', skip_reason = 'campaign_cancelled'
		WHERE id IN (
			SELECT m.id FROM campaigns c JOIN sms_messages m ON m.campaign_id = c.id AND m.status = 'pending'
			WHERE c.status = 'cancelled'
			ORDER BY m.id LIMIT $1
			FOR UPDATE OF m SKIP LOCKED)
		  AND status = 'pending'`, limit)
	if err != nil {
		return 0, fmt.Errorf("skip texts of cancelled campaigns: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ResumePaused makes up to limit rows that wait for their paused campaign
// ready to go again now that the campaign is neither paused nor cancelled:
// the wait is cleared, and their ids returned for the caller to enqueue.
// Should that enqueue fail, the sweep finds the pending rows.
func (s *Store) ResumePaused(ctx context.Context, limit int) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `
		UPDATE sms_messages SET wait_reason = NULL, send_after = NULL
		WHERE id IN (
			SELECT m.id FROM sms_messages m JOIN campaigns c ON c.id = m.campaign_id
			WHERE m.status = 'pending' AND m.wait_reason = 'campaign_paused'
			  AND c.status NOT IN ('cancelled', 'paused')
			ORDER BY m.id LIMIT $1
			FOR UPDATE OF m SKIP LOCKED)
		  AND status = 'pending' AND wait_reason = 'campaign_paused'
		RETURNING id`, limit)
	if err != nil {
		return nil, fmt.Errorf("resume texts of paused campaigns: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("resume texts of paused campaigns: %w", err)
	}
	return ids, nil
}

// HoldPaused marks, in one statement, up to limit pending rows of paused
// campaigns as waiting for their campaign (WaitCampaignPaused), whatever
// they waited for before, so that ResumePaused finds every one of them.
// A task of such a row that still runs finds the campaign paused and
// lets the row wait. It returns how many rows it marked.
func (s *Store) HoldPaused(ctx context.Context, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE sms_messages SET wait_reason = 'campaign_paused', send_after = NULL
		WHERE id IN (
			SELECT m.id FROM campaigns c JOIN sms_messages m ON m.campaign_id = c.id AND m.status = 'pending'
			WHERE c.status = 'paused' AND m.wait_reason IS DISTINCT FROM 'campaign_paused'
			ORDER BY m.id LIMIT $1
			FOR UPDATE OF m SKIP LOCKED)
		  AND status = 'pending'`, limit)
	if err != nil {
		return 0, fmt.Errorf("hold texts of paused campaigns: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Reasons a confirmation or review request is no longer true at send time
// (skip_reason).
const (
	// SkipAppointmentCancelled: the appointment was cancelled (or deleted).
	SkipAppointmentCancelled = "appointment_cancelled"
	// SkipAppointmentNotBooked: a confirmation's appointment is in another
	// state than booked (completed, no-show, …).
	SkipAppointmentNotBooked = "appointment_not_booked"
	// SkipAppointmentNotCompleted: a review request's appointment is no
	// longer completed.
	SkipAppointmentNotCompleted = "appointment_not_completed"
	// SkipRescheduled: the appointment's start time changed since the
	// confirmation was written; one for the new time is made.
	SkipRescheduled = "rescheduled"
	// SkipDuplicateReview: the customer already has a review request of
	// the salon for that local day.
	SkipDuplicateReview = "duplicate_review"
)

// Waiting is a pending row that may still be sent.
type Waiting struct {
	// Since is when the row last changed: for a row waiting in line, when
	// it joined it.
	Since time.Time
	// Kind and Category are the row's.
	Kind, Category string
	// Zone is its salon's time zone.
	Zone string
}

// Sendable returns which of ids may still be sent: pending rows whose
// campaign, if any, is neither cancelled nor paused.
func (s *Store) Sendable(ctx context.Context, ids []int64) (map[int64]Waiting, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT m.id, m.updated_at, m.kind, m.category, s.timezone
		FROM sms_messages m JOIN salons s ON s.id = m.salon_id
		WHERE m.id = ANY($1) AND m.status = 'pending' AND NOT `+stoppedCampaign, ids)
	if err != nil {
		return nil, fmt.Errorf("read which messages may be sent: %w", err)
	}
	out := make(map[int64]Waiting, len(ids))
	var (
		id int64
		w  Waiting
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &w.Since, &w.Kind, &w.Category, &w.Zone}, func() error {
		out[id] = w
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read which messages may be sent: %w", err)
	}
	return out, nil
}
