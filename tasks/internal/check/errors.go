// Package check holds what every task family shares: the validation error
// type, the field rules used by more than one payload, and the one way a
// payload becomes an asynq task. The root package tasks re-exports its
// error types and sentinels; producers should use those names.
package check

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every *ValidationError.
var ErrInvalid = errors.New("invalid payload")

// ErrTooLarge is wrapped by the error for a payload over MaxPayloadBytes.
var ErrTooLarge = errors.New("payload too large")

// FieldError is one problem with one payload field.
type FieldError struct {
	// Field is the JSON name of the field, dotted for nested keys
	// ("data.reset_url").
	Field string
	// Problem says what is wrong, lowercase, without the field name.
	Problem string
}

// Error returns "field: problem".
func (e FieldError) Error() string { return e.Field + ": " + e.Problem }

// ValidationError is every problem found in one payload of one kind.
type ValidationError struct {
	// Kind is the task kind whose payload was refused.
	Kind string
	// Problems lists the field problems in the order they were found.
	Problems []FieldError
}

// Error names the kind and every field problem.
func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return fmt.Sprintf("invalid %s payload: %s", e.Kind, strings.Join(msgs, "; "))
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Problems collects the field problems of one payload.
type Problems struct {
	kind string
	list []FieldError
}

// New starts collecting the problems of a payload of kind.
func New(kind string) *Problems { return &Problems{kind: kind} }

// Add records that field has the problem described by format and args.
func (p *Problems) Add(field, format string, args ...any) {
	p.list = append(p.list, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// Err returns nil when no problem was added, or a *ValidationError holding
// them all.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Kind: p.kind, Problems: p.list}
}
