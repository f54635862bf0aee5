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

// StuckAfter is how long a row may stay in sending before its worker is
// treated as gone: beyond the sms queue's 30 s task timeout plus the 10 s
// a worker has to record Twilio's answer, so a live worker is never
// second-guessed. A claim that never reached Twilio is then taken over or
// put back; a handed one becomes unknown.
const StuckAfter = time.Minute

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

// SalonSender returns the salon's own sender and rate (salons.sms_sender,
// sms_rate_per_second): empty and zero where it has none, for the
// platform's.
func (s *Store) SalonSender(ctx context.Context, salonID int64) (sender string, rate float64, err error) {
	var sp *string
	var rp *float64
	err = s.pool.QueryRow(ctx, `SELECT sms_sender, sms_rate_per_second FROM salons WHERE id = $1`, salonID).Scan(&sp, &rp)
	if err != nil {
		return "", 0, fmt.Errorf("read sms sender of salon %d: %w", salonID, err)
	}
	if sp != nil {
		sender = *sp
	}
	if rp != nil {
		rate = *rp
	}
	return sender, rate, nil
}
