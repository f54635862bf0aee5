package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/postgres/outboxkit"
)

// Errors of the store, for errors.Is (shared with the SMS outbox).
var (
	// ErrNotFound: no row has that id or key.
	ErrNotFound = outboxkit.ErrNotFound
	// ErrNotClaimable: Claim found the row in a state other than pending.
	ErrNotClaimable = outboxkit.ErrNotClaimable
	// ErrTransition: a transition found the row in a state it may not
	// leave that way (every *StateError).
	ErrTransition = outboxkit.ErrTransition
	// ErrInvalid: a row or suppression that can never be stored as given.
	// Retrying is pointless.
	ErrInvalid = outboxkit.ErrInvalid
	// ErrKeyReused: Create found the idempotency key on a row for another
	// template or recipient. The key names one logical email only.
	ErrKeyReused = errors.New("idempotency key already names another email")
)

// StateError is a transition refused because the row had moved on, or
// never got there: a concurrent claim, a duplicate task, a late call.
type StateError = outboxkit.StateError[Status]

// table is email_messages, for the guarded transitions of its rows.
var table = outboxkit.Table[Status]{Name: "email_messages", Noun: "email"}

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
