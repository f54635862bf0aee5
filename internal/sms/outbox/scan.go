package outbox

import (
	"time"

	"github.com/jackc/pgx/v5"
)

// columns lists sms_messages in the order scanMessage reads them.
const columns = `id, idempotency_key, salon_id, customer_id, appointment_id, campaign_id,
	category, kind, to_phone, body, status, skip_reason, wait_reason, twilio_sid,
	error_code, error_message, segments, encoding, attempts, send_after,
	claimed_at, sent_at, delivered_at, failed_at, created_at, updated_at,
	handover, handed_at, absent_at, lookup_after, lookups_failed, sender`

// scanMessage reads one row of columns, NULLs as zero values.
func scanMessage(row pgx.Row) (Message, error) {
	var (
		m                                   Message
		customer, appointment, campaign     *int64
		skip, wait, sid, errMsg, enc        *string
		code, segments                      *int32
		sendAfter, claimed, sent, delivered *time.Time
		failed, handed, absent, lookupAfter *time.Time
		handover, sender                    *string
		status                              string
	)
	err := row.Scan(&m.ID, &m.IdempotencyKey, &m.SalonID, &customer, &appointment, &campaign,
		&m.Category, &m.Kind, &m.To, &m.Body, &status, &skip, &wait, &sid,
		&code, &errMsg, &segments, &enc, &m.Attempts, &sendAfter,
		&claimed, &sent, &delivered, &failed, &m.CreatedAt, &m.UpdatedAt,
		&handover, &handed, &absent, &lookupAfter, &m.LookupsFailed, &sender)
	if err != nil {
		return Message{}, err
	}
	m.Status = Status(status)
	m.Sender = deref(sender)
	m.CustomerID, m.AppointmentID, m.CampaignID = deref(customer), deref(appointment), deref(campaign)
	m.SkipReason, m.WaitReason, m.TwilioSID, m.ErrorMessage, m.Encoding = deref(skip), deref(wait), deref(sid), deref(errMsg), deref(enc)
	m.ErrorCode, m.Segments = int(deref(code)), int(deref(segments))
	m.Handover, m.HandedAt, m.AbsentAt, m.LookupAfter = Handover(deref(handover)), deref(handed), deref(absent), deref(lookupAfter)
	m.SendAfter, m.ClaimedAt, m.SentAt, m.DeliveredAt, m.FailedAt = deref(sendAfter), deref(claimed), deref(sent), deref(delivered), deref(failed)
	return m, nil
}

// deref returns *p, or the zero value for nil (a NULL column).
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// null returns nil for the zero value (stored as NULL), else v.
func null[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// nullTime returns nil for the zero time (stored as NULL), else t.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
