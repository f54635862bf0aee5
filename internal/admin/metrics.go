package admin

import (
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueInspector is the part of asynq.Inspector the chart metrics read.
type QueueInspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// RegisterChartMetrics adds to reg the queue series asynqmon's charts
// query from Prometheus (PROMETHEUS_URL): asynq_queue_size,
// asynq_queue_latency_seconds, asynq_queue_memory_usage_approx_bytes,
// asynq_tasks_processed_total, asynq_tasks_failed_total,
// asynq_tasks_enqueued_total{state} and asynq_queue_paused_total, under the
// names of asynq's x/metrics exporter, which asynqmon's PromQL is written
// for. They are read from Redis at scrape time, so they are the cluster's
// figures: only `jobs admin` exports them, once, however many workers run.
// The daemon's own jobs_* series are unchanged.
func RegisterChartMetrics(reg prometheus.Registerer, insp QueueInspector, logger *slog.Logger) error {
	return reg.Register(&chartCollector{insp: insp, logger: logger})
}

var (
	chartEnqueued = prometheus.NewDesc("asynq_tasks_enqueued_total",
		"Number of tasks in the queue by state.", []string{"queue", "state"}, nil)
	chartSize = prometheus.NewDesc("asynq_queue_size",
		"Number of tasks in the queue.", []string{"queue"}, nil)
	chartLatency = prometheus.NewDesc("asynq_queue_latency_seconds",
		"Seconds the oldest pending task has been waiting.", []string{"queue"}, nil)
	chartMemory = prometheus.NewDesc("asynq_queue_memory_usage_approx_bytes",
		"Approximate Redis memory used by the queue (sampled).", []string{"queue"}, nil)
	chartProcessed = prometheus.NewDesc("asynq_tasks_processed_total",
		"Tasks processed (succeeded or failed) in the queue.", []string{"queue"}, nil)
	chartFailed = prometheus.NewDesc("asynq_tasks_failed_total",
		"Tasks failed in the queue.", []string{"queue"}, nil)
	chartPaused = prometheus.NewDesc("asynq_queue_paused_total",
		"1 when the queue is paused.", []string{"queue"}, nil)
)

type chartCollector struct {
	insp   QueueInspector
	logger *slog.Logger
}

// Describe implements prometheus.Collector.
func (c *chartCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{chartEnqueued, chartSize, chartLatency, chartMemory, chartProcessed, chartFailed, chartPaused} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *chartCollector) Collect(ch chan<- prometheus.Metric) {
	names, err := c.insp.Queues()
	if err != nil {
		c.logger.Warn("read queue names for chart metrics", "err", err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, q := range names {
		info, err := c.insp.GetQueueInfo(q)
		if err != nil {
			c.logger.Warn("read queue state for chart metrics", "queue", q, "err", err)
			continue
		}
		for _, s := range []struct {
			state string
			n     int
		}{
			{"active", info.Active}, {"pending", info.Pending}, {"scheduled", info.Scheduled},
			{"retry", info.Retry}, {"archived", info.Archived}, {"completed", info.Completed},
			{"aggregating", info.Aggregating},
		} {
			gauge(chartEnqueued, float64(s.n), q, s.state)
		}
		gauge(chartSize, float64(info.Size), q)
		gauge(chartLatency, info.Latency.Seconds(), q)
		gauge(chartMemory, float64(info.MemoryUsage), q)
		ch <- prometheus.MustNewConstMetric(chartProcessed, prometheus.CounterValue, float64(info.ProcessedTotal), q)
		ch <- prometheus.MustNewConstMetric(chartFailed, prometheus.CounterValue, float64(info.FailedTotal), q)
		paused := 0.0
		if info.Paused {
			paused = 1
		}
		gauge(chartPaused, paused, q)
	}
}
