package check

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/queues"
)

// MaxPayloadBytes bounds an encoded payload. Payloads carry ids and small
// values; anything bigger belongs in Postgres or storage.
const MaxPayloadBytes = 64 << 10

// Validator is a payload that can check itself.
type Validator interface{ Validate() error }

// Task validates p, marshals it, and returns the task of kind with the
// options of queue for kind (its retention is the kind's) followed by
// opts, so the caller's options win; except that a task whose payload
// holds a Secret value gets no retention. Headers options become the
// task's headers.
func Task(kind, queue string, p Validator, opts []asynq.Option) (*asynq.Task, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	data, err := Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal %s payload: %w", kind, err)
	}
	if len(data) > MaxPayloadBytes {
		return nil, TooLarge(kind, len(data))
	}
	headers, opts := splitHeaders(opts)
	opts = append(queues.MustLookup(queue).OptionsFor(kind), opts...)
	if HoldsSecret(p, data) {
		// Last, so no queue policy or caller option can bring it back: a
		// finished task's payload stays readable in Redis for as long as
		// it is retained, and a reset link or a body must not.
		opts = append(opts, asynq.Retention(0))
	}
	if len(headers) > 0 {
		return asynq.NewTaskWithHeaders(kind, data, headers, opts...), nil
	}
	return asynq.NewTask(kind, data, opts...), nil
}

// TooLarge returns the error for a payload of kind that is n bytes long,
// more than MaxPayloadBytes. It wraps ErrTooLarge.
func TooLarge(kind string, n int) error {
	return fmt.Errorf("%w: %s payload is %d bytes, at most %d allowed", ErrTooLarge, kind, n, MaxPayloadBytes)
}

// Marshal encodes p as compact JSON without HTML escaping: a payload is
// read by the worker and by operators, never embedded in a page, and "&"
// in an SMS body should stay "&".
func Marshal(p any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
