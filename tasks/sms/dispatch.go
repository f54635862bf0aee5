package sms

import (
	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/internal/check"
)

// Wire names of the dispatchers the scheduler fires: never rename them.
const (
	// KindDispatchConfirmations queues one confirmation for every booked
	// appointment starting within 24 hours that has none yet.
	KindDispatchConfirmations = "sms:dispatch_confirmations"
	// KindDispatchReviews queues one review request for every appointment
	// completed between 30 minutes and 24 hours ago that has none yet.
	KindDispatchReviews = "sms:dispatch_reviews"
	// KindDispatchCampaigns fans due campaigns out to their recipients.
	KindDispatchCampaigns = "sms:dispatch_campaigns"
)

// DispatchConfirmationsPayload is the empty payload of
// KindDispatchConfirmations: the dispatcher reads its work from Postgres.
type DispatchConfirmationsPayload struct{}

// Validate returns nil: there is nothing to check.
func (DispatchConfirmationsPayload) Validate() error { return nil }

// NewDispatchConfirmationsTask returns the task to enqueue, with the sms
// queue's options followed by opts.
func NewDispatchConfirmationsTask(p DispatchConfirmationsPayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindDispatchConfirmations, queues.SMS, p, opts)
}

// DispatchReviewsPayload is the empty payload of KindDispatchReviews.
type DispatchReviewsPayload struct{}

// Validate returns nil: there is nothing to check.
func (DispatchReviewsPayload) Validate() error { return nil }

// NewDispatchReviewsTask returns the task to enqueue, with the sms queue's
// options followed by opts.
func NewDispatchReviewsTask(p DispatchReviewsPayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindDispatchReviews, queues.SMS, p, opts)
}

// DispatchCampaignsPayload is the empty payload of KindDispatchCampaigns.
type DispatchCampaignsPayload struct{}

// Validate returns nil: there is nothing to check.
func (DispatchCampaignsPayload) Validate() error { return nil }

// NewDispatchCampaignsTask returns the task to enqueue, with the sms
// queue's options followed by opts.
func NewDispatchCampaignsTask(p DispatchCampaignsPayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindDispatchCampaigns, queues.SMS, p, opts)
}
