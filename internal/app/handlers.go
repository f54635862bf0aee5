package app

import (
	"github.com/salonworks/jobs/internal/apicall"
	"github.com/salonworks/jobs/internal/maintenance"
	"github.com/salonworks/jobs/internal/version"
	"github.com/salonworks/jobs/internal/worker"
	taskemail "github.com/salonworks/jobs/tasks/email"
	taskreport "github.com/salonworks/jobs/tasks/report"
	"github.com/salonworks/jobs/tasks/salon"
	tasksms "github.com/salonworks/jobs/tasks/sms"
	synctasks "github.com/salonworks/jobs/tasks/sync"
	taskupload "github.com/salonworks/jobs/tasks/upload"
)

// Handlers returns the handler of every kind of the catalogue. It is the
// one place where kinds meet their handlers: worker.Handle decodes each
// payload before its handler runs and panics on a kind registered twice,
// and a kind missing here is archived by the worker with "no handler for
// kind" (a test checks that none is).
func Handlers(d *Deps, sms *SMS, mail *Email, files *Files) *worker.Handlers {
	h := worker.NewHandlers()

	worker.Handle(h, taskemail.KindSend, mail.Sender.Send)

	worker.Handle(h, tasksms.KindSend, sms.Sender.Send)
	worker.Handle(h, tasksms.KindDispatchConfirmations, sms.Dispatcher.DispatchConfirmations)
	worker.Handle(h, tasksms.KindDispatchReviews, sms.Dispatcher.DispatchReviews)
	worker.Handle(h, tasksms.KindDispatchCampaigns, sms.Dispatcher.DispatchCampaigns)

	worker.Handle(h, taskupload.KindProcess, files.Processor.Process)
	worker.Handle(h, taskreport.KindGenerate, files.Generator.Generate)

	// Daily maintenance fired by the scheduler.
	m := &maintenance.Maintenance{Pool: d.DB, Logger: d.Logger}
	worker.Handle(h, salon.KindResetQueue, m.ResetQueue)
	worker.Handle(h, synctasks.KindDailyStats, m.DailyStats)

	api := apicall.New(d.Config.APIBaseURL, d.Config.APIKey, "salonworks-jobs/"+version.String())
	worker.Handle(h, synctasks.KindAPICall, api.Call)
	return h
}
