package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListUnknown returns up to limit rows in unknown claimed before
// claimedBefore, oldest claim first: the reconciler's work, once a grace
// period for a late status callback has passed.
func (s *Store) ListUnknown(ctx context.Context, claimedBefore time.Time, limit int) ([]Message, error) {
	return s.list(ctx, "list unknown messages", StatusUnknown, claimedBefore, limit)
}

// ListStuckSending returns up to limit rows still sending under a claim
// made before claimedBefore (normally now minus StuckAfter), oldest first:
// their workers died between claim and record. The reconciler marks them
// unknown (MarkUnknown) and reconciles them like any other.
func (s *Store) ListStuckSending(ctx context.Context, claimedBefore time.Time, limit int) ([]Message, error) {
	return s.list(ctx, "list stuck messages", StatusSending, claimedBefore, limit)
}

func (s *Store) list(ctx context.Context, op string, status Status, claimedBefore time.Time, limit int) ([]Message, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM sms_messages
		WHERE status = $1 AND claimed_at < $2
		ORDER BY claimed_at, id
		LIMIT $3`, string(status), claimedBefore, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	msgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Message, error) { return scanMessage(row) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return msgs, nil
}
