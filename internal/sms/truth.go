package sms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/sms/outbox"
)

// staleSkip returns the reason a claimed confirmation or review request is
// no longer true, read at send time (a text may have waited overnight for
// quiet hours): the appointment cancelled or in another state, its start
// moved since the confirmation was written (the dispatcher makes one for
// the new time, under the key naming it), or, for a review request, one
// of the salon already going to the customer that local day.
func (s *Sender) staleSkip(ctx context.Context, m outbox.Message) (string, error) {
	if m.Kind != outbox.KindConfirmation && m.Kind != outbox.KindReview {
		return "", nil
	}
	if m.AppointmentID == 0 {
		// The appointment was deleted (the column is set NULL).
		return outbox.SkipAppointmentCancelled, nil
	}
	var (
		status   string
		startsAt time.Time
	)
	err := s.DB.QueryRow(ctx, `SELECT status, starts_at FROM appointments WHERE id = $1`, m.AppointmentID).Scan(&status, &startsAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return outbox.SkipAppointmentCancelled, nil
	}
	if err != nil {
		return "", fmt.Errorf("read appointment of sms %d: %w", m.ID, err)
	}
	if m.Kind == outbox.KindConfirmation {
		switch {
		case status == "cancelled":
			return outbox.SkipAppointmentCancelled, nil
		case status != "booked":
			return outbox.SkipAppointmentNotBooked, nil
		}
		if at, ok := outbox.ConfirmationStart(m.IdempotencyKey); ok && !at.Equal(startsAt.Truncate(time.Second)) {
			return outbox.SkipRescheduled, nil
		}
		return "", nil
	}
	switch {
	case status == "cancelled":
		return outbox.SkipAppointmentCancelled, nil
	case status != "completed":
		return outbox.SkipAppointmentNotCompleted, nil
	}
	return s.perCustomerSkip(ctx, m)
}

// perCustomerSkip is the one rule on how many texts a customer gets: at
// most one review request per customer and salon per local day (the day
// the appointment was completed, in the salon's zone), however many
// appointments were completed that day. Of several, the one that already
// went out, or else the oldest row, is sent; the others are skipped. A
// row already skipped or failed does not count.
func (s *Sender) perCustomerSkip(ctx context.Context, m outbox.Message) (string, error) {
	if m.Kind != outbox.KindReview || m.CustomerID == 0 {
		return "", nil
	}
	var dup bool
	err := s.DB.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM appointments a
			JOIN salons sa ON sa.id = a.salon_id
			JOIN appointments oa ON oa.salon_id = a.salon_id AND oa.customer_id = a.customer_id AND oa.id <> a.id
			JOIN sms_messages o ON o.appointment_id = oa.id AND o.kind = 'review'
			WHERE a.id = $1 AND o.id <> $2
			  AND (oa.completed_at AT TIME ZONE sa.timezone)::date = (a.completed_at AT TIME ZONE sa.timezone)::date
			  AND o.status NOT IN ('skipped', 'failed')
			  AND (o.status <> 'pending' OR o.id < $2))`, m.AppointmentID, m.ID).Scan(&dup)
	if err != nil {
		return "", fmt.Errorf("check other review requests of sms %d: %w", m.ID, err)
	}
	if dup {
		return outbox.SkipDuplicateReview, nil
	}
	return "", nil
}

// skipStale ends a claimed row skipped when staleSkip finds it untrue,
// and reports whether it did.
func (s *Sender) skipStale(ctx context.Context, m outbox.Message) (bool, error) {
	reason, err := s.staleSkip(ctx, m)
	if err != nil {
		return true, s.putBack(ctx, m, err)
	}
	if reason == "" {
		return false, nil
	}
	dctx, cancel := detached(ctx)
	defer cancel()
	if err := s.Store.MarkSkipped(dctx, m.ID, reason); err != nil {
		return true, s.putBack(ctx, m, fmt.Errorf("skip sms %d: %w", m.ID, err))
	}
	s.Metrics.skipped(reason)
	return true, nil
}
