package outbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/salonworks/jobs/internal/sms/text"
)

// e164 is sms_messages.to_phone's check (and customers.phone's): 7 to 15
// digits. It admits a few short numbers that tasks/sms's E164Pattern, the
// inline producer contract, does not; a customer the API could store must
// not be refused here.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Create stores m as a pending row, once per IdempotencyKey: created is
// true when this call inserted it, false when a row with that key already
// existed (whatever its content), and id is that row's either way. It
// computes Segments and Encoding from the body. A message that can never
// be stored returns an error wrapping ErrInvalid.
func (s *Store) Create(ctx context.Context, m Message) (id int64, created bool, err error) {
	if err := validate(m); err != nil {
		return 0, false, fmt.Errorf("create message %q: %w", m.IdempotencyKey, err)
	}
	segments, encoding := text.Segments(m.Body)
	err = s.pool.QueryRow(ctx, `
		INSERT INTO sms_messages (idempotency_key, salon_id, customer_id, appointment_id, campaign_id,
			category, kind, to_phone, body, segments, encoding, wait_reason, send_after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING id`,
		m.IdempotencyKey, m.SalonID, null(m.CustomerID), null(m.AppointmentID), null(m.CampaignID),
		m.Category, m.Kind, m.To, m.Body, segments, encoding, null(m.WaitReason), nullTime(m.SendAfter),
	).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, fmt.Errorf("create message %q: %w", m.IdempotencyKey, classify(err))
	}
	// The key exists. This second statement takes a new snapshot, so it
	// sees the row even when a concurrent insert committed it just now
	// (ON CONFLICT waited for that commit).
	err = s.pool.QueryRow(ctx, `SELECT id FROM sms_messages WHERE idempotency_key = $1`, m.IdempotencyKey).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("create message %q: find existing row: %w", m.IdempotencyKey, err)
	}
	return id, false, nil
}

// validate checks what the table's constraints would refuse, so a bad
// message fails alone and with a readable reason, before any insert.
func validate(m Message) error {
	var p problems
	switch n := utf8.RuneCountInString(m.IdempotencyKey); {
	case strings.TrimSpace(m.IdempotencyKey) == "":
		p.add("idempotency key is empty")
	case n > 255:
		p.add("idempotency key is %d characters long, at most 255 allowed", n)
	}
	if m.SalonID <= 0 {
		p.add("salon id is missing")
	}
	if !slices.Contains([]string{CategoryTransactional, CategoryMarketing}, m.Category) {
		p.add("category %q is not %s or %s", m.Category, CategoryTransactional, CategoryMarketing)
	}
	if !slices.Contains([]string{KindConfirmation, KindReview, KindCampaign, KindAdhoc}, m.Kind) {
		p.add("kind %q is unknown", m.Kind)
	} else if m.Kind == KindCampaign && m.Category != CategoryMarketing {
		p.add("a campaign message must be marketing")
	}
	if !e164.MatchString(m.To) {
		// The number itself stays out of the error: errors get logged.
		p.add("recipient is not an E.164 phone number")
	}
	if err := text.ValidateBody(m.Body); err != nil {
		p = append(p, err)
	}
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalid, p)
}

// problems is every reason a message is invalid, read as one error.
type problems []error

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Errorf(format, args...))
}

func (p problems) Error() string {
	msgs := make([]string, len(p))
	for i, err := range p {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (p problems) Unwrap() []error { return p }

// classify marks the database's refusals of a row (a check, a missing
// salon or customer) as ErrInvalid; other errors may pass on retry.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23514", "23503", "23502": // check, foreign key, not null
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return err
}
