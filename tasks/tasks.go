// Package tasks is the producer contract of the jobs daemon: the catalogue
// of every task kind, with its queue and payload, and the one strict way
// to turn a kind name and JSON bytes into a validated asynq task. The
// command line (jobs enqueue), the ingest bridge and the scheduler use it;
// Go producers may use it or the typed constructors of the family
// packages (tasks/email, tasks/sms, tasks/upload, tasks/report,
// tasks/salon, tasks/sync).
//
// It imports only the standard library, asynq, queues and the
// OpenTelemetry API (for WithTraceContext), so another Go service can
// import it to enqueue.
package tasks

import (
	"errors"

	"github.com/salonworks/jobs/tasks/internal/check"
)

// MaxPayloadBytes bounds a payload, raw or encoded; larger ones are refused
// with an error wrapping ErrTooLarge.
const MaxPayloadBytes = check.MaxPayloadBytes

// Payload is the payload of one kind: a JSON-encodable struct that can
// check itself.
type Payload interface {
	// Validate reports every problem of the payload in one
	// *ValidationError, or nil.
	Validate() error
}

// ValidationError lists every field problem of one payload; Validate and
// the constructors of every family return it. errors.Is(err, ErrInvalid)
// holds for it.
type ValidationError = check.ValidationError

// FieldError is one problem of one field of a ValidationError.
type FieldError = check.FieldError

// Sentinels to classify a refused payload with errors.Is.
var (
	// ErrUnknownKind is wrapped by the error for a kind not in Kinds.
	ErrUnknownKind = errors.New("unknown kind")
	// ErrInvalidJSON is wrapped by the error for bytes that are not one
	// JSON object of the kind's payload fields.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrTooLarge is wrapped by the error for a payload over
	// MaxPayloadBytes.
	ErrTooLarge = check.ErrTooLarge
	// ErrInvalid is matched by every *ValidationError: the JSON was
	// well-formed but the values break the kind's rules.
	ErrInvalid = check.ErrInvalid
)
