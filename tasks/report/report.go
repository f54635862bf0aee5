// Package report declares the tasks of the reports queue: rendering a
// requested PDF or CSV export.
package report

import (
	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/internal/check"
)

// KindGenerate is the wire name of the generate task: never rename it.
const KindGenerate = "report:generate"

// GeneratePayload asks for a requested report to be rendered and stored.
type GeneratePayload struct {
	// ReportID is the id of the reports row that holds the request.
	ReportID int64 `json:"report_id" class:"plain" jsonschema:"minimum=1" jsonschema_description:"Id of the reports row that holds the request."`
}

// Validate reports every problem of the payload in one
// *tasks.ValidationError, or nil.
func (p GeneratePayload) Validate() error {
	c := check.New(KindGenerate)
	c.ID("report_id", p.ReportID)
	return c.Err()
}

// NewGenerateTask returns the task to enqueue, with the reports queue's
// options followed by opts.
func NewGenerateTask(p GeneratePayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindGenerate, queues.Reports, p, opts)
}
