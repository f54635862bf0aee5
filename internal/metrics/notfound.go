package metrics

import (
	"errors"
	"strings"

	"github.com/hibiken/asynq"
)

// QueueInfo reads one queue's state. A queue nobody has enqueued to yet
// does not exist in Redis: it is reported as an empty queue, not as an
// error. Every reader of queue state (metrics, health, EMF) goes through
// here.
func QueueInfo(insp QueueInspector, queue string) (*asynq.QueueInfo, error) {
	info, err := insp.GetQueueInfo(queue)
	if err != nil && isQueueNotFound(err) {
		return &asynq.QueueInfo{Queue: queue}, nil
	}
	return info, err
}

// isQueueNotFound reports whether err says the queue does not exist yet.
// asynq's GetQueueInfo returns its internal error type, which does not
// match asynq.ErrQueueNotFound, so its message counts too.
func isQueueNotFound(err error) bool {
	return errors.Is(err, asynq.ErrQueueNotFound) || strings.Contains(err.Error(), "does not exist")
}
