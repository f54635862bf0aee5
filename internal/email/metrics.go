package email

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/salonworks/jobs/internal/metrics"
)

// Metrics are the email outcomes, registered on the process's registry.
type Metrics struct {
	// Sends counts what became of each email:send attempt, by provider,
	// outcome and the provider's error code ("" when none):
	// sent, duplicate (already final: nothing sent), suppressed, invalid
	// (refused by the outbox or unrenderable), in_flight, and the classes
	// of a failed send (rate_limited, paused, rejected, not_sent,
	// unknown). A payload the worker's decoder refuses never reaches the
	// Sender: the worker's task metrics count it, archived.
	Sends *prometheus.CounterVec
	// SendingPaused counts the provider's answers that it sends nothing
	// (SendingPausedException, AccountSuspendedException), by code. Each
	// pauses the emails queue; alert on any increase.
	SendingPaused *prometheus.CounterVec
}

// NewMetrics registers the email metrics on reg. Registering twice on one
// registry returns the instruments already there.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	sends, err := metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobs_email_sends_total",
		Help: "email:send attempts by provider, outcome and provider error code.",
	}, []string{"provider", "outcome", "code"}))
	if err != nil {
		return nil, err
	}
	paused, err := metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobs_email_sending_paused_total",
		Help: "Answers from the email provider that sending is paused or the account suspended; each pauses the emails queue.",
	}, []string{"code"}))
	if err != nil {
		return nil, err
	}
	return &Metrics{Sends: sends, SendingPaused: paused}, nil
}
