// Package metrics holds the Prometheus metrics every process exposes at
// /metrics: task outcomes and durations by kind, and queue sizes and latency
// read from Redis when scraped.
package metrics

import (
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the registry of one process and the instruments on it.
type Metrics struct {
	// Registry is what /metrics serves.
	Registry *prometheus.Registry
	// TasksTotal counts finished attempts by kind, queue and outcome
	// (succeeded, retried, archived, rate_limited, interrupted).
	TasksTotal *prometheus.CounterVec
	// TaskDuration observes how long attempts ran, by kind and queue.
	TaskDuration *prometheus.HistogramVec
	// TasksInFlight is the number of attempts running now, by queue.
	TasksInFlight *prometheus.GaugeVec
}

// New returns a registry with the Go runtime and process collectors and the
// task instruments.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		TasksTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobs_tasks_total",
			Help: "Finished task attempts by kind, queue and outcome.",
		}, []string{"kind", "queue", "outcome"}),
		TaskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jobs_task_duration_seconds",
			Help:    "Duration of task attempts by kind and queue.",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900},
		}, []string{"kind", "queue"}),
		TasksInFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobs_tasks_in_flight",
			Help: "Task attempts running now in this process, by queue.",
		}, []string{"queue"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.TasksTotal, m.TaskDuration, m.TasksInFlight,
	)
	return m
}

// QueueInspector is the part of asynq.Inspector the queue collector reads.
type QueueInspector interface {
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// queueCollector reads every queue's state from Redis at scrape time, so the
// figures are the cluster's, not this process's.
type queueCollector struct {
	insp   QueueInspector
	queues []string
	logger *slog.Logger

	size, latency, paused, up *prometheus.Desc
}

// RegisterQueues adds gauges for the given queues' task counts by state
// (jobs_queue_tasks), latency of the oldest pending task
// (jobs_queue_latency_seconds) and paused flag (jobs_queue_paused).
func (m *Metrics) RegisterQueues(insp QueueInspector, queues []string, logger *slog.Logger) {
	m.Registry.MustRegister(&queueCollector{
		insp: insp, queues: queues, logger: logger,
		size:    prometheus.NewDesc("jobs_queue_tasks", "Tasks in the queue by state.", []string{"queue", "state"}, nil),
		latency: prometheus.NewDesc("jobs_queue_latency_seconds", "Age of the oldest pending task.", []string{"queue"}, nil),
		paused:  prometheus.NewDesc("jobs_queue_paused", "1 when the queue is paused.", []string{"queue"}, nil),
		up:      prometheus.NewDesc("jobs_queue_scrape_ok", "1 when the queue's state could be read from Redis.", []string{"queue"}, nil),
	})
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.size
	ch <- c.latency
	ch <- c.paused
	ch <- c.up
}

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range c.queues {
		info, err := QueueInfo(c.insp, q)
		if err != nil {
			c.logger.Warn("read queue state for metrics", "queue", q, "err", err)
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0, q)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1, q)
		for state, n := range map[string]int{
			"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed,
			"aggregating": info.Aggregating,
		} {
			ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(n), q, state)
		}
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, info.Latency.Seconds(), q)
		paused := 0.0
		if info.Paused {
			paused = 1
		}
		ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, paused, q)
	}
}

// Observe records one finished attempt.
func (m *Metrics) Observe(kind, queue, outcome string, d time.Duration) {
	m.TasksTotal.WithLabelValues(kind, queue, outcome).Inc()
	m.TaskDuration.WithLabelValues(kind, queue).Observe(d.Seconds())
}
