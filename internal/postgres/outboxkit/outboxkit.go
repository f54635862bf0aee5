// Package outboxkit is the plumbing the email and SMS outboxes share: the
// errors a store returns, the error of a refused state transition, and the
// guarded UPDATE that moves a row forward only from the states it may
// leave, saying why when it changes nothing.
//
// What differs between the two outboxes stays in their own packages
// (internal/email/outbox, internal/sms/outbox): columns, states, and where
// the time of a claim comes from, hence Claim(ctx, id) for email and
// Claim(ctx, id, now) for SMS. An email claim is stamped by the database
// (updated_at, set by the table's trigger, whose age ExpireSending
// measures on the same clock); an SMS claim by the caller (claimed_at,
// which the reconciler compares with its own clock and which starts the
// window in which Twilio is searched). A method that records a moment the
// caller knows takes it as now in both (MarkSent).
package outboxkit

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Errors of the outbox stores, for errors.Is. Each store re-exports them.
var (
	// ErrNotFound: no row has that id (or key).
	ErrNotFound = errors.New("outbox message not found")
	// ErrNotClaimable: Claim found the row in a state other than pending.
	ErrNotClaimable = errors.New("outbox message not claimable")
	// ErrTransition: a transition found the row in a state it may not
	// leave that way (every *StateError).
	ErrTransition = errors.New("outbox message state transition refused")
	// ErrInvalid: a message that can never be stored or recorded as
	// given. Retrying is pointless.
	ErrInvalid = errors.New("invalid outbox message")
)

// OpClaim is the Op of a refused claim: its StateError also matches
// ErrNotClaimable.
const OpClaim = "claim"

// StateError is a transition refused because the row had moved on, or
// never got there: a concurrent claim, a duplicate task, a late call. S is
// the store's status type.
type StateError[S ~string] struct {
	// Noun names the row in the message ("email", "message").
	Noun string
	// Op names the transition, e.g. "claim", "mark sent".
	Op string
	// ID is the row's id.
	ID int64
	// Status is the row's state when the transition was refused.
	Status S
}

// Error says which transition the row refused and in which state it is.
func (e *StateError[S]) Error() string {
	return fmt.Sprintf("%s %s %d: it is %s", e.Op, e.Noun, e.ID, e.Status)
}

// Is matches ErrTransition, and ErrNotClaimable for a refused claim.
func (e *StateError[S]) Is(target error) bool {
	return target == ErrTransition || target == ErrNotClaimable && e.Op == OpClaim
}

// DB is the part of a pgx pool (or transaction) a Table uses.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Table is one outbox table, with a status column, for the guarded
// transitions of its rows.
type Table[S ~string] struct {
	// Name is the table's name in SQL.
	Name string
	// Noun names a row in errors ("email", "message").
	Noun string
}

// Transition runs sql, a guarded UPDATE of row id (its WHERE names the
// states the row may leave), with args. When it changes no row, the error
// says why (Refused).
func (t Table[S]) Transition(ctx context.Context, db DB, op string, id int64, sql string, args ...any) error {
	tag, err := db.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s %s %d: %w", op, t.Noun, id, err)
	}
	if tag.RowsAffected() == 0 {
		return t.Refused(ctx, db, op, id)
	}
	return nil
}

// Refused explains why a guarded UPDATE of row id changed nothing: the
// row is missing (ErrNotFound) or in another state (*StateError).
func (t Table[S]) Refused(ctx context.Context, db DB, op string, id int64) error {
	var status string
	err := db.QueryRow(ctx, `SELECT status FROM `+t.Name+` WHERE id = $1`, id).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("%s %s %d: %w", op, t.Noun, id, err)
	}
	return t.StateError(op, id, S(status))
}

// StateError returns the refusal of op on row id, found in status.
func (t Table[S]) StateError(op string, id int64, status S) *StateError[S] {
	return &StateError[S]{Noun: t.Noun, Op: op, ID: id, Status: status}
}

// MaxError bounds a stored error message, in characters.
const MaxError = 1000

// Truncate bounds msg to MaxError characters, marking a cut with "…".
func Truncate(msg string) string {
	if utf8.RuneCountInString(msg) <= MaxError {
		return msg
	}
	return string([]rune(msg)[:MaxError-1]) + "…"
}
