package app

import (
	"maps"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/apicall"
	"github.com/salonworks/jobs/internal/maintenance"
	"github.com/salonworks/jobs/internal/version"
	"github.com/salonworks/jobs/internal/worker"
	taskemail "github.com/salonworks/jobs/tasks/email"
	"github.com/salonworks/jobs/tasks/salon"
	tasksms "github.com/salonworks/jobs/tasks/sms"
	synctasks "github.com/salonworks/jobs/tasks/sync"
)

// Handlers returns the handler of every kind this build processes. It is the
// one place where kinds meet their handlers; a kind missing here is archived
// by the worker with "no handler for kind".
func Handlers(d *Deps, sms *SMS, mail *Email, files *Files) map[string]asynq.Handler {
	h := map[string]asynq.Handler{
		synctasks.KindAPICall: apicall.New(d.Config.APIBaseURL, d.Config.APIKey, "salonworks-jobs/"+version.String()),

		// Daily maintenance fired by the scheduler.
		salon.KindResetQueue:     &maintenance.ResetQueue{Pool: d.DB, Logger: d.Logger, Now: time.Now},
		synctasks.KindDailyStats: &maintenance.DailyStats{Pool: d.DB, Logger: d.Logger, Now: time.Now},
	}
	// sms:send and the three dispatchers; email:send.
	t := worker.NewHandlers()
	worker.Handle(t, tasksms.KindSend, sms.Sender.Send)
	worker.Handle(t, tasksms.KindDispatchConfirmations, sms.Dispatcher.DispatchConfirmations)
	worker.Handle(t, tasksms.KindDispatchReviews, sms.Dispatcher.DispatchReviews)
	worker.Handle(t, tasksms.KindDispatchCampaigns, sms.Dispatcher.DispatchCampaigns)
	worker.Handle(t, taskemail.KindSend, mail.Sender.Send)
	for _, k := range t.Kinds() {
		h[k], _ = t.Lookup(k)
	}
	// upload:process, report:generate.
	maps.Copy(h, files.Handlers)
	return h
}
