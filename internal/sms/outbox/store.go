package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// StuckAfter is how long a row may stay in sending before its worker is
// treated as gone: beyond the sms queue's 30 s task timeout plus the 10 s
// a worker has to record Twilio's answer, so a live worker is never
// second-guessed. A claim that never reached Twilio is then taken over or
// put back; a handed one becomes unknown.
const StuckAfter = time.Minute

// Errors of the store, for errors.Is.
var (
	// ErrNotFound: no row has that id.
	ErrNotFound = errors.New("sms message not found")
	// ErrNotClaimable: Claim found the row in a state other than pending.
	ErrNotClaimable = errors.New("sms message not claimable")
	// ErrTransition: a transition found the row in a state it may not
	// leave that way (every *StateError).
	ErrTransition = errors.New("sms message state transition refused")
	// ErrInvalid: a message that can never be stored as given (bad body,
	// number, category; unknown salon). Retrying is pointless.
	ErrInvalid = errors.New("invalid sms message")
)

// StateError is a transition refused because the row had moved on, or
// never got there: a concurrent claim, a duplicate task, a late call.
type StateError struct {
	// Op names the transition, e.g. "claim", "mark sent".
	Op string
	// ID is the row's id.
	ID int64
	// Status is the row's state when the transition was refused.
	Status Status
	// Handover and ClaimedAt are the row's claim when it was refused.
	Handover  Handover
	ClaimedAt time.Time
}

// Error says which transition the row refused and in which state it is.
func (e *StateError) Error() string {
	return fmt.Sprintf("%s message %d: it is %s", e.Op, e.ID, e.Status)
}

// Is matches ErrTransition, and ErrNotClaimable for a refused claim.
func (e *StateError) Is(target error) bool {
	return target == ErrTransition || target == ErrNotClaimable && e.Op == opClaim
}

const opClaim = "claim"

// Store reads and writes the SMS outbox and consent on Postgres. It is
// safe for concurrent use; every method is one statement (OptOut and OptIn
// one statement each as well).
type Store struct {
	pool       *pgxpool.Pool
	stuckAfter time.Duration
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, stuckAfter: StuckAfter}
}

// SetStuckAfter replaces StuckAfter for this store; the chaos suite
// shortens it. Call it before the store is used.
func (s *Store) SetStuckAfter(d time.Duration) { s.stuckAfter = d }

// StuckAfter is how long a row may stay in sending before its worker is
// treated as gone (the package's StuckAfter unless SetStuckAfter changed
// it).
func (s *Store) StuckAfter() time.Duration { return s.stuckAfter }

// Get returns the row with that id, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM sms_messages WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("get message %d: %w", id, err)
	}
	return m, nil
}

// refused explains why a guarded UPDATE of row id changed nothing: the row
// is missing (ErrNotFound) or in another state (*StateError).
func (s *Store) refused(ctx context.Context, op string, id int64) error {
	var (
		status   string
		handover *string
		claimed  *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT status, handover, claimed_at FROM sms_messages WHERE id = $1`, id).Scan(&status, &handover, &claimed)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("%s message %d: %w", op, id, err)
	}
	return &StateError{Op: op, ID: id, Status: Status(status), Handover: Handover(deref(handover)), ClaimedAt: deref(claimed)}
}
