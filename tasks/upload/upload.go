// Package upload declares the tasks of the uploads queue: processing a file
// a user uploaded (type sniffing, size limits, image variants).
package upload

import (
	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/internal/check"
)

// KindProcess is the wire name of the process task: never rename it.
const KindProcess = "upload:process"

// ProcessPayload asks for an uploaded file to be checked and processed.
type ProcessPayload struct {
	// UploadID is the id of the uploads row that describes the file.
	UploadID int64 `json:"upload_id" class:"plain" jsonschema:"minimum=1" jsonschema_description:"Id of the uploads row that describes the file."`
}

// Validate reports every problem of the payload in one
// *tasks.ValidationError, or nil.
func (p ProcessPayload) Validate() error {
	c := check.New(KindProcess)
	c.ID("upload_id", p.UploadID)
	return c.Err()
}

// NewProcessTask returns the task to enqueue, with the uploads queue's
// options followed by opts.
func NewProcessTask(p ProcessPayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindProcess, queues.Uploads, p, opts)
}
