package outbox

import (
	"time"

	"github.com/jackc/pgx/v5"
)

// Status is a row's place in the state machine (email_messages.status).
type Status string

// The states of an outbox row; see the package documentation.
const (
	// StatusPending waits to be claimed.
	StatusPending Status = "pending"
	// StatusSending is claimed by a worker that is calling the provider.
	StatusSending Status = "sending"
	// StatusSent was accepted by the provider (final).
	StatusSent Status = "sent"
	// StatusSkipped was never sent, for the reason in SkipReason (final).
	StatusSkipped Status = "skipped"
	// StatusFailed was refused, or its outcome is unknown (final).
	StatusFailed Status = "failed"
)

// SkipSuppressed is the skip reason of an email to a suppressed address.
const SkipSuppressed = "suppressed"

// OutcomeUnknown starts the error of a row whose send may or may not have
// reached the recipient; such rows are never resent automatically.
const OutcomeUnknown = "outcome unknown: "

// Message is one outbox row. Template data is not stored: it may hold
// secrets such as reset tokens, and it arrives with every task anyway.
type Message struct {
	// ID is the row's id.
	ID int64
	// IdempotencyKey names the logical email: the producer's key, or one
	// derived from template, recipient and data.
	IdempotencyKey string
	// Template is the template's name.
	Template string
	// To is the recipient, as the producer gave it.
	To string
	// Status is the row's state.
	Status Status
	// SkipReason says why a skipped row was not sent (SkipSuppressed).
	SkipReason string
	// ProviderMessageID is the provider's id of the sent message.
	ProviderMessageID string
	// Error is the last failure: the provider's refusal, a retryable
	// error, or OutcomeUnknown and its cause.
	Error string
	// Attempts counts the claims that were not given back: the calls made,
	// or about to be made, to the provider.
	Attempts int
	// CreatedAt and UpdatedAt are the row's own timestamps; UpdatedAt is
	// also when a sending row was claimed.
	CreatedAt time.Time
	UpdatedAt time.Time
	// SentAt is when the provider accepted it.
	SentAt time.Time
}

// columns lists email_messages in the order scanMessage reads them.
const columns = `id, idempotency_key, template, to_address, status, skip_reason,
	provider_message_id, error, attempts, created_at, updated_at, sent_at`

// scanMessage reads one row of columns, NULLs as zero values.
func scanMessage(row pgx.Row) (Message, error) {
	var (
		m                 Message
		status            string
		skip, pid, errMsg *string
		sent              *time.Time
	)
	err := row.Scan(&m.ID, &m.IdempotencyKey, &m.Template, &m.To, &status, &skip,
		&pid, &errMsg, &m.Attempts, &m.CreatedAt, &m.UpdatedAt, &sent)
	if err != nil {
		return Message{}, err
	}
	m.Status = Status(status)
	m.SkipReason, m.ProviderMessageID, m.Error = deref(skip), deref(pid), deref(errMsg)
	m.SentAt = deref(sent)
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

// null returns nil for "" (stored as NULL), else s.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}
