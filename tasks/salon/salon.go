// Package salon declares salon-wide maintenance tasks, run on the sync
// queue: the daily reset of every salon's technician walk-in rotation.
package salon

import (
	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/internal/check"
)

// KindResetQueue is the wire name of the queue reset task: never rename it.
const KindResetQueue = "salon:reset_queue"

// ResetQueuePayload asks for every salon's technician queue to be reset.
type ResetQueuePayload struct {
	// Date is the day being reset, YYYY-MM-DD; empty means today (UTC).
	// Resetting one day twice changes nothing, so a retry is safe.
	Date string `json:"date,omitempty" class:"plain" jsonschema:"format=date,pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}$" jsonschema_description:"Day being reset, YYYY-MM-DD; today (UTC) when absent."`
}

// Validate reports every problem of the payload in one
// *tasks.ValidationError, or nil.
func (p ResetQueuePayload) Validate() error {
	c := check.New(KindResetQueue)
	c.Date("date", p.Date)
	return c.Err()
}

// NewResetQueueTask returns the task to enqueue, with the sync queue's
// options followed by opts.
func NewResetQueueTask(p ResetQueuePayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindResetQueue, queues.Sync, p, opts)
}
