package sms

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// SendMetrics are what the send path decided about texts, on the
// process's registry. Labels are reasons only: never a salon or a number.
type SendMetrics struct {
	// Skipped counts texts ended skipped, by skip_reason.
	Skipped *prometheus.CounterVec
	// Waits counts texts put back to wait, by wait_reason.
	Waits *prometheus.CounterVec
}

// NewSendMetrics registers the send path's metrics on reg; a second call
// on one registry returns the instruments already there.
func NewSendMetrics(reg prometheus.Registerer) (*SendMetrics, error) {
	skipped, err := registerCounterVec(reg, prometheus.CounterOpts{
		Name: "jobs_sms_skipped_total",
		Help: "SMS texts the send path ended skipped, by reason (opted_out, no_consent, campaign_cancelled, …).",
	}, "reason")
	if err != nil {
		return nil, err
	}
	waits, err := registerCounterVec(reg, prometheus.CounterOpts{
		Name: "jobs_sms_waits_total",
		Help: "SMS texts the send path put back to wait, by reason (quiet_hours, rate_limited, campaign_paused).",
	}, "reason")
	if err != nil {
		return nil, err
	}
	return &SendMetrics{Skipped: skipped, Waits: waits}, nil
}

func registerCounterVec(reg prometheus.Registerer, opts prometheus.CounterOpts, label string) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(opts, []string{label})
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, err
		}
		existing, ok := are.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return nil, err
		}
		return existing, nil
	}
	return c, nil
}

func (m *SendMetrics) skipped(reason string) {
	if m != nil {
		m.Skipped.WithLabelValues(reason).Inc()
	}
}

func (m *SendMetrics) waited(reason string) {
	if m != nil {
		m.Waits.WithLabelValues(reason).Inc()
	}
}
