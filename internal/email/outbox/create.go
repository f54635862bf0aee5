package outbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// addressPattern is email_messages.to_address's check.
	addressPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	// templatePattern is email_messages.template's check.
	templatePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// maxKey bounds an idempotency key, in characters (the table's check).
const maxKey = 255

// Create stores a pending row for the email named key, once: created is
// true when this call inserted it, false when the key already existed, and
// m is the row either way. A key already on a row for another template or
// recipient (compared without case) returns an error wrapping ErrKeyReused;
// a row that can never be stored one wrapping ErrInvalid.
func (s *Store) Create(ctx context.Context, key, template, to string) (m Message, created bool, err error) {
	if err := validate(key, template, to); err != nil {
		return Message{}, false, fmt.Errorf("create email: %w", err)
	}
	m, err = scanMessage(s.pool.QueryRow(ctx, `
		INSERT INTO email_messages (idempotency_key, template, to_address)
		VALUES ($1, $2, $3)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING `+columns, key, template, to))
	if err == nil {
		return m, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Message{}, false, fmt.Errorf("create email: %w", classify(err))
	}
	// The key exists. This second statement takes a new snapshot, so it
	// sees the row even when a concurrent insert committed it just now
	// (ON CONFLICT waited for that commit).
	m, err = s.GetByKey(ctx, key)
	if err != nil {
		return Message{}, false, fmt.Errorf("create email: find existing row: %w", err)
	}
	if m.Template != template || !strings.EqualFold(m.To, to) {
		return Message{}, false, fmt.Errorf("create email: %w (email %d, template %s)", ErrKeyReused, m.ID, m.Template)
	}
	return m, false, nil
}

// validate checks what the table's constraints would refuse, so a bad row
// fails alone and with a readable reason. The recipient stays out of the
// messages: errors get logged.
func validate(key, template, to string) error {
	var msgs []string
	switch n := utf8.RuneCountInString(key); {
	case strings.TrimSpace(key) == "":
		msgs = append(msgs, "idempotency key is empty")
	case n > maxKey:
		msgs = append(msgs, fmt.Sprintf("idempotency key is %d characters long, at most %d allowed", n, maxKey))
	}
	if !templatePattern.MatchString(template) {
		msgs = append(msgs, fmt.Sprintf("template name %q is not lowercase letters, digits and underscores", template))
	}
	if !addressPattern.MatchString(to) {
		msgs = append(msgs, "recipient is not an email address")
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(msgs, "; "))
}

// classify marks the database's refusals of a row (a check, a not-null)
// as ErrInvalid; other errors may pass on retry.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23514", "23502": // check, not null
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return err
}
