package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Reasons an address is suppressed (email_suppressions.reason).
const (
	// SuppressBounce: a hard bounce; the mailbox does not exist.
	SuppressBounce = "bounce"
	// SuppressComplaint: the recipient marked an email as spam.
	SuppressComplaint = "complaint"
	// SuppressManual: an operator, or the recipient through support.
	SuppressManual = "manual"
)

// normalize is how addresses are kept in email_suppressions: trimmed and
// lowercased, so that Ana@Example.com and ana@example.com are one entry.
func normalize(address string) string {
	return strings.ToLower(strings.TrimSpace(address))
}

// Suppress adds address to the suppression list for reason (SuppressBounce,
// SuppressComplaint, SuppressManual): no email goes to it any more. The
// address is lowercased. Suppressing an address again keeps its first
// reason and returns nil. A bad address or reason returns an error
// wrapping ErrInvalid.
func (s *Store) Suppress(ctx context.Context, address, reason string) error {
	a := normalize(address)
	switch {
	case !addressPattern.MatchString(a):
		return fmt.Errorf("suppress address: %w: not an email address", ErrInvalid)
	case reason != SuppressBounce && reason != SuppressComplaint && reason != SuppressManual:
		return fmt.Errorf("suppress address: %w: reason %q is not bounce, complaint or manual", ErrInvalid, reason)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO email_suppressions (address, reason) VALUES ($1, $2)
		ON CONFLICT (address) DO NOTHING`, a, reason)
	if err != nil {
		return fmt.Errorf("suppress address: %w", classify(err))
	}
	return nil
}

// Unsuppress removes address from the suppression list, for an operator
// who has confirmed it works again; removed says whether it was there.
func (s *Store) Unsuppress(ctx context.Context, address string) (removed bool, err error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM email_suppressions WHERE address = $1`, normalize(address))
	if err != nil {
		return false, fmt.Errorf("unsuppress address: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Suppression reports whether address (in any case) is suppressed, and why.
func (s *Store) Suppression(ctx context.Context, address string) (reason string, suppressed bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT reason FROM email_suppressions WHERE address = $1`, normalize(address)).Scan(&reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up suppression: %w", err)
	}
	return reason, true, nil
}
