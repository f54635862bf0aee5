// Package taskerr classifies handler failures where they are known, so the
// worker can decide what asynq does with the task: retry it, archive it at
// once with a reason an operator can read, or reschedule it without spending
// a retry.
package taskerr

import (
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Permanent marks err as one that cannot succeed on retry (bad payload,
// invalid phone number, rejected file). The task is archived after this
// attempt; reason is what the operator reads on the archived task.
func Permanent(reason string, err error) error {
	if err == nil {
		return fmt.Errorf("%s: %w", reason, asynq.SkipRetry)
	}
	return fmt.Errorf("%s: %w (%w)", reason, err, asynq.SkipRetry)
}

// IsPermanent reports whether err skips retries.
func IsPermanent(err error) bool { return errors.Is(err, asynq.SkipRetry) }

// RateLimitError says the provider asked us to slow down. The task is
// rescheduled after Delay without spending a retry.
type RateLimitError struct {
	// Delay is how long to wait before the next attempt.
	Delay time.Duration
	// Err is the provider's answer.
	Err error
}

// Error implements error.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited, next attempt in %s: %v", e.Delay, e.Err)
}

// Unwrap returns the provider's answer.
func (e *RateLimitError) Unwrap() error { return e.Err }

// RateLimited returns a RateLimitError asking for another attempt after
// delay (at least one second).
func RateLimited(delay time.Duration, err error) error {
	return &RateLimitError{Delay: max(delay, time.Second), Err: err}
}

// AsRateLimit returns the RateLimitError inside err, if any.
func AsRateLimit(err error) (*RateLimitError, bool) {
	var rl *RateLimitError
	ok := errors.As(err, &rl)
	return rl, ok
}
