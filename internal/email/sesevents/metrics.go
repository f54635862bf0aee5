package sesevents

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/salonworks/jobs/internal/metrics"
)

// Metrics count what the webhook received, on the process's registry.
type Metrics struct {
	// Events counts verified SES events by type (send, delivery, bounce,
	// transient_bounce, complaint, reject, delivery_delay, other) and
	// outcome (applied, unchanged, unknown_message, duplicate, ignored).
	Events *prometheus.CounterVec
	// Refused counts requests refused, by reason (bad_request,
	// wrong_type, wrong_topic, certificate_url, signature, too_old,
	// subscribe_url, unreadable).
	Refused *prometheus.CounterVec
}

// NewMetrics registers the webhook's metrics on reg. Registering twice on
// one registry returns the instruments already there.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	events, err := metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobs_email_events_total",
		Help: "SES events received through SNS, by event type and what they did to the outbox.",
	}, []string{"type", "outcome"}))
	if err != nil {
		return nil, err
	}
	refused, err := metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobs_ses_webhook_refused_total",
		Help: "Requests to POST /webhooks/ses refused, by reason.",
	}, []string{"reason"}))
	if err != nil {
		return nil, err
	}
	return &Metrics{Events: events, Refused: refused}, nil
}
