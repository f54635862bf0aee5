package outbox

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/redact"
)

// Sources of an opt event (sms_opt_events.source).
const (
	// SourceInbound: the customer texted a keyword.
	SourceInbound = "inbound"
	// SourceError21610: Twilio refused a send because the number had
	// replied STOP to the sender.
	SourceError21610 = "error_21610"
	// SourceAPI: the platform's API on the customer's behalf.
	SourceAPI = "api"
)

// OptOut records that phone wants no more SMS: an opt_out event in
// sms_opt_events (with source, keyword, e.g. "STOP", and salonID, the
// salon it came through, nil when unknown) and sms_opted_out_at on every
// customer with that number, in every salon: whichever sender a STOP came
// to (the platform's, or a salon's own), the customer asked for no more
// texts, and a number opted out of one salon but texted by another from
// the shared sender would be blocked at Twilio anyway. A customer already opted out keeps the first time. One statement.
func (s *Store) OptOut(ctx context.Context, phone string, salonID *int64, source, keyword string) error {
	_, err := s.pool.Exec(ctx, `
		WITH event AS (
			INSERT INTO sms_opt_events (phone, salon_id, action, source, body_keyword)
			VALUES ($1, $2, 'opt_out', $3, $4)
		)
		UPDATE customers SET sms_opted_out_at = now()
		WHERE phone = $1 AND sms_opted_out_at IS NULL`,
		phone, salonID, source, null(keyword))
	if err != nil {
		return fmt.Errorf("opt out %s: %w", redact.Phone(phone), classify(err))
	}
	return nil
}

// OptIn records that phone takes its opt-out back (START, YES, UNSTOP):
// an opt_in event, and sms_opted_out_at cleared on every customer with
// that number, in every salon. Marketing still needs each salon's consent.
// One statement.
func (s *Store) OptIn(ctx context.Context, phone string, salonID *int64, source, keyword string) error {
	_, err := s.pool.Exec(ctx, `
		WITH event AS (
			INSERT INTO sms_opt_events (phone, salon_id, action, source, body_keyword)
			VALUES ($1, $2, 'opt_in', $3, $4)
		)
		UPDATE customers SET sms_opted_out_at = NULL
		WHERE phone = $1 AND sms_opted_out_at IS NOT NULL`,
		phone, salonID, source, null(keyword))
	if err != nil {
		return fmt.Errorf("opt in %s: %w", redact.Phone(phone), classify(err))
	}
	return nil
}

// IsOptedOut reports whether phone must get no SMS: a customer with that
// number has sms_opted_out_at set (the API may set it directly), or the
// number's latest opt event is an opt-out (which also covers numbers that
// are no customer's, and customers added after the STOP). Call it when
// sending, not only when creating: a STOP may arrive in between.
func (s *Store) IsOptedOut(ctx context.Context, phone string) (bool, error) {
	var out bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM customers WHERE phone = $1 AND sms_opted_out_at IS NOT NULL)
			OR coalesce((SELECT action = 'opt_out' FROM sms_opt_events
				WHERE phone = $1 AND action IN ('opt_out', 'opt_in')
				ORDER BY created_at DESC, id DESC LIMIT 1), false)`, phone).Scan(&out)
	if err != nil {
		return false, fmt.Errorf("check opt-out of %s: %w", redact.Phone(phone), err)
	}
	return out, nil
}

// SalonOfSender returns the salon whose own sender is one of senders (the
// number and the Messaging Service an inbound text came to), or nil when
// none or several are: the platform's sender, shared by the salons
// without one of their own.
func (s *Store) SalonOfSender(ctx context.Context, senders ...string) (*int64, error) {
	var ids []int64
	rows, err := s.pool.Query(ctx, `SELECT id FROM salons WHERE sms_sender = ANY($1) LIMIT 2`, senders)
	if err != nil {
		return nil, fmt.Errorf("find the salon of a sender: %w", err)
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("find the salon of a sender: %w", err)
	}
	if len(ids) != 1 {
		return nil, nil
	}
	return &ids[0], nil
}
