// Package sync declares the tasks of the sync queue that aggregate data or
// call the API: the daily statistics roll-up and authenticated API calls
// (the EventBridge ApiDestination replacement). The package name shadows
// the standard library's sync only for importers that want it to; import it
// as tasksync when both are needed.
package sync

import (
	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/internal/check"
)

// KindDailyStats is the wire name of the daily statistics task: never
// rename it.
const KindDailyStats = "sync:daily_stats"

// DailyStatsPayload asks for one day's statistics to be aggregated.
type DailyStatsPayload struct {
	// Date is the day to aggregate, YYYY-MM-DD; empty means yesterday (UTC).
	Date string `json:"date,omitempty" class:"plain" jsonschema:"format=date,pattern=^[0-9]{4}-[0-9]{2}-[0-9]{2}$" jsonschema_description:"Day to aggregate, YYYY-MM-DD; yesterday (UTC) when absent."`
}

// Validate reports every problem of the payload in one
// *tasks.ValidationError, or nil.
func (p DailyStatsPayload) Validate() error {
	c := check.New(KindDailyStats)
	c.Date("date", p.Date)
	return c.Err()
}

// NewDailyStatsTask returns the task to enqueue, with the sync queue's
// options followed by opts.
func NewDailyStatsTask(p DailyStatsPayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindDailyStats, queues.Sync, p, opts)
}
