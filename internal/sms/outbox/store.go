package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/postgres/outboxkit"
)

// StuckAfter is how long a row may stay in sending before the reconciler
// treats its worker as gone: far beyond the sms queue's 30 s task timeout,
// so a live worker is never second-guessed.
const StuckAfter = 2 * time.Minute

// Errors of the store, for errors.Is (shared with the email outbox).
var (
	// ErrNotFound: no row has that id.
	ErrNotFound = outboxkit.ErrNotFound
	// ErrNotClaimable: Claim found the row in a state other than pending.
	ErrNotClaimable = outboxkit.ErrNotClaimable
	// ErrTransition: a transition found the row in a state it may not
	// leave that way (every *StateError).
	ErrTransition = outboxkit.ErrTransition
	// ErrInvalid: a message that can never be stored as given (bad body,
	// number, category; unknown salon). Retrying is pointless.
	ErrInvalid = outboxkit.ErrInvalid
)

// StateError is a transition refused because the row had moved on, or
// never got there: a concurrent claim, a duplicate task, a late call.
type StateError = outboxkit.StateError[Status]

// table is sms_messages, for the guarded transitions of its rows.
var table = outboxkit.Table[Status]{Name: "sms_messages", Noun: "message"}

// Store reads and writes the SMS outbox and consent on Postgres. It is
// safe for concurrent use; every method is one statement (OptOut and OptIn
// one statement each as well).
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

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
