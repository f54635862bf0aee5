package app

import (
	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/apicall"
	"github.com/salonworks/jobs/internal/version"
	synctasks "github.com/salonworks/jobs/tasks/sync"
)

// Handlers returns the handler of every kind this build processes. It is the
// one place where kinds meet their handlers; a kind missing here is archived
// by the worker with "no handler for kind".
func Handlers(d *Deps) map[string]asynq.Handler {
	return map[string]asynq.Handler{
		synctasks.KindAPICall: apicall.New(d.Config.APIBaseURL, d.Config.APIKey, "salonworks-jobs/"+version.String()),
	}
}
