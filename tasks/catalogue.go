package tasks

import (
	"slices"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/email"
	"github.com/salonworks/jobs/tasks/report"
	"github.com/salonworks/jobs/tasks/salon"
	"github.com/salonworks/jobs/tasks/sms"
	tasksync "github.com/salonworks/jobs/tasks/sync"
	"github.com/salonworks/jobs/tasks/upload"
)

// Kind describes one task kind of the catalogue.
type Kind struct {
	// Name is the wire name, such as "sms:send": never rename one that is
	// deployed.
	Name string
	// Queue is the name of the queue the kind's tasks go to.
	Queue string
	// Doc says in one sentence what a task of this kind does.
	Doc string
	// New returns a pointer to a zero payload of the kind, ready to be
	// decoded into.
	New func() Payload
}

// catalogue is the table of task kinds (docs/design.md, "The task catalogue
// is a wire contract"), in a stable order.
var catalogue = []Kind{
	{Name: email.KindSend, Queue: queues.Emails,
		Doc: "Sends one email rendered from a template.",
		New: func() Payload { return new(email.SendPayload) }},
	{Name: sms.KindSend, Queue: queues.SMS,
		Doc: "Sends one SMS: an outbox row by id, or an inline message.",
		New: func() Payload { return new(sms.SendPayload) }},
	{Name: sms.KindDispatchConfirmations, Queue: queues.SMS,
		Doc: "Queues a confirmation SMS for every booked appointment starting within 24 hours.",
		New: func() Payload { return new(sms.DispatchConfirmationsPayload) }},
	{Name: sms.KindDispatchReviews, Queue: queues.SMS,
		Doc: "Queues a review request SMS for every appointment completed 30 minutes to 24 hours ago.",
		New: func() Payload { return new(sms.DispatchReviewsPayload) }},
	{Name: sms.KindDispatchCampaigns, Queue: queues.SMS,
		Doc: "Fans every due SMS campaign out to its consenting recipients.",
		New: func() Payload { return new(sms.DispatchCampaignsPayload) }},
	{Name: upload.KindProcess, Queue: queues.Uploads,
		Doc: "Checks and processes one uploaded file.",
		New: func() Payload { return new(upload.ProcessPayload) }},
	{Name: report.KindGenerate, Queue: queues.Reports,
		Doc: "Renders one requested report and stores it.",
		New: func() Payload { return new(report.GeneratePayload) }},
	{Name: salon.KindResetQueue, Queue: queues.Sync,
		Doc: "Resets every salon's technician walk-in rotation for a day.",
		New: func() Payload { return new(salon.ResetQueuePayload) }},
	{Name: tasksync.KindDailyStats, Queue: queues.Sync,
		Doc: "Aggregates one day's statistics.",
		New: func() Payload { return new(tasksync.DailyStatsPayload) }},
	{Name: tasksync.KindAPICall, Queue: queues.Sync,
		Doc: "Makes one authenticated call to the platform API.",
		New: func() Payload { return new(tasksync.APICallPayload) }},
}

// Kinds returns every kind, in a stable order. The result is a copy.
func Kinds() []Kind { return slices.Clone(catalogue) }

// Names returns the name of every kind, in Kinds order.
func Names() []string {
	names := make([]string, len(catalogue))
	for i, k := range catalogue {
		names[i] = k.Name
	}
	return names
}

// Lookup returns the kind called name.
func Lookup(name string) (Kind, bool) {
	for _, k := range catalogue {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}
