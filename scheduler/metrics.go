package scheduler

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type runnerMetrics struct {
	leader prometheus.Gauge
	ticks  *prometheus.CounterVec
	lag    prometheus.Histogram
}

func newRunnerMetrics(reg prometheus.Registerer) *runnerMetrics {
	m := &runnerMetrics{
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jobs_scheduler_leader", Help: "1 while this scheduler process leads and fires ticks.",
		}),
		ticks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobs_scheduler_ticks_total", Help: "Schedule ticks by entry and outcome (enqueued, duplicate, skipped, error).",
		}, []string{"entry", "outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "jobs_scheduler_lag_seconds", Help: "Delay from a tick's time to its task's enqueue.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 900},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.leader, m.ticks, m.lag)
	}
	return m
}

func (m *runnerMetrics) setLeader(v bool) {
	if v {
		m.leader.Set(1)
	} else {
		m.leader.Set(0)
	}
}

func (m *runnerMetrics) tick(entry, outcome string) { m.ticks.WithLabelValues(entry, outcome).Inc() }

func (m *runnerMetrics) enqueued(entry string, lag time.Duration) {
	m.tick(entry, "enqueued")
	m.lag.Observe(lag.Seconds())
}
