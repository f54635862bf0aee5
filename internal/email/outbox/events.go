package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/postgres/outboxkit"
)

// The states a sent row reaches through the provider's reports
// (RecordFeedback); each is final for the daemon, which never resends.
//
//	sent ── Delivery ──▶ delivered ── Bounce ──▶ bounced ── Complaint ──▶ complained
//	  │                      └────────── Complaint ──────────────────────▲
//	  ├── Bounce, Complaint (straight from sent)
//	  └── Reject ──▶ failed ("rejected by SES: …")
//
// Reports arrive in any order; one that would move a row backwards (a
// Delivery after its Bounce) changes nothing.
const (
	// StatusDelivered reached the recipient's mail server.
	StatusDelivered Status = "delivered"
	// StatusBounced bounced permanently; its address is suppressed.
	StatusBounced Status = "bounced"
	// StatusComplained was marked as spam by its recipient, whose address
	// is suppressed.
	StatusComplained Status = "complained"
)

// Event is the kind of a provider's report about an email it accepted.
type Event string

// The reports RecordFeedback knows.
const (
	// EventSend: the provider took the email (already known: sent).
	EventSend Event = "send"
	// EventDelivery: the recipient's server accepted it.
	EventDelivery Event = "delivery"
	// EventBounce: a permanent bounce; the address does not exist.
	EventBounce Event = "bounce"
	// EventTransientBounce: a soft bounce (mailbox full, server busy).
	EventTransientBounce Event = "transient_bounce"
	// EventComplaint: the recipient marked it as spam.
	EventComplaint Event = "complaint"
	// EventReject: the provider refused it after all (a virus).
	EventReject Event = "reject"
	// EventDeliveryDelay: delivery is late; the provider keeps trying.
	EventDeliveryDelay Event = "delivery_delay"
)

// Transient bounces that suppress an address: TransientBounceLimit of them
// within TransientBounceWindow.
const (
	TransientBounceLimit  = 3
	TransientBounceWindow = 7 * 24 * time.Hour
)

// NotificationRetention is how long a notification's id is remembered
// against replays; callers refuse notifications older than that.
const NotificationRetention = 14 * 24 * time.Hour

// Feedback is one report of the provider about a sent email.
type Feedback struct {
	// NotificationID identifies the report (SNS MessageId): each acts once.
	NotificationID string
	// Event is what happened.
	Event Event
	// ProviderMessageID is the id MarkSent recorded.
	ProviderMessageID string
	// Detail is what an operator reads on a bounced, complained or
	// rejected row: the report's type, never the recipient's address.
	Detail string
	// At is when it happened, by the provider's clock.
	At time.Time
}

// FeedbackOutcome says what RecordFeedback did.
type FeedbackOutcome string

// Outcomes of RecordFeedback.
const (
	// FeedbackApplied: the row moved, or the transient bounce was counted.
	FeedbackApplied FeedbackOutcome = "applied"
	// FeedbackUnchanged: the row was already there or further on, or the
	// report only informs (send, delivery delay).
	FeedbackUnchanged FeedbackOutcome = "unchanged"
	// FeedbackUnknownMessage: no row has that provider message id.
	FeedbackUnknownMessage FeedbackOutcome = "unknown_message"
	// FeedbackDuplicate: the notification was recorded before.
	FeedbackDuplicate FeedbackOutcome = "duplicate"
)

// FeedbackResult is what RecordFeedback did.
type FeedbackResult struct {
	Outcome FeedbackOutcome
	// MessageID is the row's id (0 when unknown or duplicate).
	MessageID int64
	// Status is the row's state afterwards.
	Status Status
	// Suppressed is the reason the address was suppressed by this report
	// (SuppressBounce, SuppressComplaint), "" when it was not.
	Suppressed string
}

// moves says, for each report that changes a row, the states it may leave
// and the state it reaches: only forward.
var moves = map[Event]struct {
	from []Status
	to   Status
}{
	EventDelivery:  {[]Status{StatusSent}, StatusDelivered},
	EventBounce:    {[]Status{StatusSent, StatusDelivered}, StatusBounced},
	EventComplaint: {[]Status{StatusSent, StatusDelivered, StatusBounced}, StatusComplained},
	EventReject:    {[]Status{StatusSent}, StatusFailed},
}

// RecordFeedback applies f to the row whose provider message id it names,
// in one transaction with the record of f.NotificationID, so a report acts
// exactly once however often it arrives: Delivery → delivered; Bounce →
// bounced and the address suppressed (SuppressBounce); Complaint →
// complained and suppressed (SuppressComplaint); Reject → failed with
// f.Detail; a transient bounce is counted, and the address suppressed
// (SuppressBounce) at the TransientBounceLimit-th within
// TransientBounceWindow. A report for no known row is recorded and
// dropped. It also forgets notifications older than NotificationRetention.
func (s *Store) RecordFeedback(ctx context.Context, f Feedback) (FeedbackResult, error) {
	if f.NotificationID == "" || f.ProviderMessageID == "" {
		return FeedbackResult{}, fmt.Errorf("record email feedback: %w: notification and message ids are required", ErrInvalid)
	}
	var res FeedbackResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		res, err = recordFeedback(ctx, tx, f)
		return err
	})
	if err != nil {
		return FeedbackResult{}, fmt.Errorf("record email feedback %s (%s): %w", f.NotificationID, f.Event, classify(err))
	}
	return res, nil
}

func recordFeedback(ctx context.Context, tx pgx.Tx, f Feedback) (FeedbackResult, error) {
	// Forget old notifications a few at a time, so no request pays for a
	// long backlog; callers refuse notifications that old.
	if _, err := tx.Exec(ctx, `DELETE FROM email_notifications WHERE notification_id IN (
		SELECT notification_id FROM email_notifications
		WHERE received_at < now() - make_interval(secs => $1) LIMIT 100)`, NotificationRetention.Seconds()); err != nil {
		return FeedbackResult{}, fmt.Errorf("prune notifications: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO email_notifications (notification_id, event_type, provider_message_id)
		VALUES ($1, $2, $3) ON CONFLICT (notification_id) DO NOTHING`, f.NotificationID, string(f.Event), f.ProviderMessageID)
	if err != nil {
		return FeedbackResult{}, err
	}
	if tag.RowsAffected() == 0 {
		return FeedbackResult{Outcome: FeedbackDuplicate}, nil
	}
	var (
		id     int64
		to     string
		status string
	)
	// FOR UPDATE: two reports of one email (a bounce and a complaint)
	// settle one after the other.
	err = tx.QueryRow(ctx, `SELECT id, to_address, status FROM email_messages
		WHERE provider_message_id = $1 FOR UPDATE`, f.ProviderMessageID).Scan(&id, &to, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return FeedbackResult{Outcome: FeedbackUnknownMessage}, nil
	}
	if err != nil {
		return FeedbackResult{}, err
	}
	res := FeedbackResult{Outcome: FeedbackUnchanged, MessageID: id, Status: Status(status)}
	if mv, ok := moves[f.Event]; ok {
		tag, err := tx.Exec(ctx, `UPDATE email_messages SET status = $2, error = $3
			WHERE id = $1 AND status = ANY($4)`, id, string(mv.to), null(outboxkit.Truncate(f.Detail)), statusStrings(mv.from))
		if err != nil {
			return FeedbackResult{}, err
		}
		if tag.RowsAffected() == 1 {
			res.Outcome, res.Status = FeedbackApplied, mv.to
		}
	}
	switch f.Event {
	case EventBounce:
		res.Suppressed = SuppressBounce
	case EventComplaint:
		res.Suppressed = SuppressComplaint
	case EventTransientBounce:
		res.Outcome = FeedbackApplied
		n, err := countTransient(ctx, tx, normalize(to), f)
		if err != nil {
			return FeedbackResult{}, err
		}
		if n >= TransientBounceLimit {
			res.Suppressed = SuppressBounce
		}
	}
	if res.Suppressed != "" {
		// Whatever the row's state: the address is what gets no more
		// email. An address already suppressed keeps its first reason.
		if _, err := tx.Exec(ctx, `INSERT INTO email_suppressions (address, reason) VALUES ($1, $2)
			ON CONFLICT (address) DO NOTHING`, normalize(to), res.Suppressed); err != nil {
			return FeedbackResult{}, fmt.Errorf("suppress address: %w", err)
		}
	}
	return res, nil
}

// countTransient records f's transient bounce of address and returns how
// many it has had within TransientBounceWindow before f.At, this one
// included.
func countTransient(ctx context.Context, tx pgx.Tx, address string, f Feedback) (int, error) {
	at := f.At
	if at.IsZero() {
		at = time.Now()
	}
	if _, err := tx.Exec(ctx, `INSERT INTO email_transient_bounces (address, provider_message_id, bounced_at)
		VALUES ($1, $2, $3)`, address, f.ProviderMessageID, at); err != nil {
		return 0, fmt.Errorf("record transient bounce: %w", err)
	}
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM email_transient_bounces
		WHERE address = $1 AND bounced_at > $2::timestamptz - make_interval(secs => $3) AND bounced_at <= $2`,
		address, at, TransientBounceWindow.Seconds()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count transient bounces: %w", err)
	}
	return n, nil
}

func statusStrings(ss []Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
