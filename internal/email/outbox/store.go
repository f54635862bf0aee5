package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors of the store, for errors.Is.
var (
	// ErrNotFound: no row has that id or key.
	ErrNotFound = errors.New("email message not found")
	// ErrNotClaimable: Claim found the row in a state other than pending.
	ErrNotClaimable = errors.New("email message not claimable")
	// ErrTransition: a transition found the row in a state it may not
	// leave that way (every *StateError).
	ErrTransition = errors.New("email message state transition refused")
	// ErrInvalid: a row or suppression that can never be stored as given.
	// Retrying is pointless.
	ErrInvalid = errors.New("invalid email message")
	// ErrKeyReused: Create found the idempotency key on a row for another
	// template or recipient. The key names one logical email only.
	ErrKeyReused = errors.New("idempotency key already names another email")
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
}

// Error says which transition the row refused and in which state it is.
func (e *StateError) Error() string {
	return fmt.Sprintf("%s email %d: it is %s", e.Op, e.ID, e.Status)
}

// Is matches ErrTransition, and ErrNotClaimable for a refused claim.
func (e *StateError) Is(target error) bool {
	return target == ErrTransition || target == ErrNotClaimable && e.Op == opClaim
}

const opClaim = "claim"

// Store reads and writes the email outbox and the suppression list on
// Postgres. It is safe for concurrent use; every method is one statement,
// except where a refused update reads the row to say why.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// Get returns the row with that id, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM email_messages WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("get email %d: %w", id, err)
	}
	return m, nil
}

// GetByKey returns the row with that idempotency key, or an error wrapping
// ErrNotFound.
func (s *Store) GetByKey(ctx context.Context, key string) (Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM email_messages WHERE idempotency_key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("get email by key: %w", err)
	}
	return m, nil
}

// refused explains why a guarded UPDATE of row id changed nothing: the row
// is missing (ErrNotFound) or in another state (*StateError).
func (s *Store) refused(ctx context.Context, op string, id int64) error {
	var status string
	err := s.pool.QueryRow(ctx, `SELECT status FROM email_messages WHERE id = $1`, id).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("%s email %d: %w", op, id, err)
	}
	return &StateError{Op: op, ID: id, Status: Status(status)}
}
