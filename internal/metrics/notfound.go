package metrics

import (
	"errors"
	"strings"

	"github.com/hibiken/asynq"
)

// isQueueNotFound reports whether err says the queue does not exist yet.
// asynq's inspector wraps its own error types, so the message is the
// contract here as well.
func isQueueNotFound(err error) bool {
	return errors.Is(err, asynq.ErrQueueNotFound) || strings.Contains(err.Error(), "does not exist")
}
