// Package emf publishes the queues' backlog as CloudWatch metrics through
// the embedded metric format (EMF): JSON log lines that CloudWatch Logs
// turns into metrics by itself. On ECS the container's output already goes
// to CloudWatch Logs (awslogs), so the worker needs no CloudWatch API calls,
// no credentials for them and no agent; the CDK app scales the worker
// service on these metrics (deploy/cdk).
//
// Every Interval the Publisher reads each queue's state from Redis, as the
// Prometheus queue collector does (internal/metrics), and writes one line
// per queue and one total line:
//
//	{"_aws":{"Timestamp":1767225600000,"CloudWatchMetrics":[{"Namespace":"Jobs",
//	  "Dimensions":[["Environment","Queue"]],"Metrics":[{"Name":"PendingTasks","Unit":"Count"},
//	  {"Name":"QueueLatency","Unit":"Seconds"}]}]},"Environment":"production","Queue":"sms",
//	  "PendingTasks":12,"QueueLatency":0.4}
//	{"_aws":{"Timestamp":1767225600000,"CloudWatchMetrics":[{"Namespace":"Jobs",
//	  "Dimensions":[["Environment"]],"Metrics":[{"Name":"PendingTasks","Unit":"Count"}]}]},
//	  "Environment":"production","PendingTasks":57}
//
// (each on one line). The Environment dimension keeps a staging and a
// production deployment in one account apart.
//
// Every worker task publishes the same figures, read from the one Redis, so
// a consumer must use the Maximum or Average statistic, never Sum.
package emf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/service"
)

// Metric and dimension names: the CDK app's scaling policy and alarms refer
// to them (deploy/cdk/lib/names.ts), so renaming one breaks scaling.
const (
	// DefaultNamespace is the CloudWatch namespace of every metric.
	DefaultNamespace = "Jobs"
	// MetricPending is the number of pending tasks: per queue, and in all
	// queues that are not paused on the total line.
	MetricPending = "PendingTasks"
	// MetricLatency is the age of a queue's oldest pending task, in seconds.
	MetricLatency = "QueueLatency"
	// DimensionEnvironment holds APP_ENV on every line.
	DimensionEnvironment = "Environment"
	// DimensionQueue holds the queue name on the per-queue lines.
	DimensionQueue = "Queue"
)

// DefaultInterval is CloudWatch's standard resolution: one value a minute.
const DefaultInterval = time.Minute

// Inspector is the part of asynq.Inspector the publisher reads.
type Inspector interface {
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// Config is what a Publisher needs.
type Config struct {
	// Inspector reads the queues' state from Redis.
	Inspector Inspector
	// Queues are the queues to report; the total counts every one of them
	// that is not paused.
	Queues []string
	// Environment is the value of the Environment dimension (APP_ENV).
	Environment string
	// Writer receives the lines: the process's log output, which the
	// container's log driver ships to CloudWatch Logs.
	Writer io.Writer
	// Logger reports queues that could not be read.
	Logger *slog.Logger
	// Interval between two publications; DefaultInterval when zero.
	Interval time.Duration
	// Namespace overrides DefaultNamespace.
	Namespace string
	// Clock stamps the lines; nil is the wall clock.
	Clock clock.Clock
}

// Publisher writes the queues' backlog as EMF lines, every Interval from
// Start until Shutdown.
type Publisher struct {
	cfg  Config
	loop *service.Loop
}

var _ service.Service = (*Publisher)(nil)

// New checks cfg and returns a Publisher; nothing runs until Start.
func New(cfg Config) (*Publisher, error) {
	var missing []string
	if cfg.Inspector == nil {
		missing = append(missing, "Inspector")
	}
	if len(cfg.Queues) == 0 {
		missing = append(missing, "Queues")
	}
	if cfg.Environment == "" {
		missing = append(missing, "Environment")
	}
	if cfg.Writer == nil {
		missing = append(missing, "Writer")
	}
	if cfg.Logger == nil {
		missing = append(missing, "Logger")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("emf: %s required", strings.Join(missing, ", "))
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	p := &Publisher{cfg: cfg}
	p.loop = &service.Loop{
		Name:     "emf",
		Interval: cfg.Interval,
		// At once, so a new task reports within seconds.
		Immediate: true,
		Run: func(context.Context) error {
			// A failed publication is a warning: the next one is an
			// Interval away and carries the same figures.
			if err := p.Publish(); err != nil {
				p.cfg.Logger.Warn("publish queue metrics (EMF)", "err", err)
			}
			return nil
		},
	}
	return p, nil
}

// Start publishes at once, then every Interval in the background.
func (p *Publisher) Start() error {
	if err := p.loop.Start(); err != nil {
		return fmt.Errorf("emf: %w", err)
	}
	return nil
}

// Shutdown stops the publications and waits for the one under way. It
// returns at once when the publisher is not running.
func (p *Publisher) Shutdown() { p.loop.Shutdown() }

// Publish reads every queue once and writes its lines in one Write. A
// queue that cannot be read is left out and reported in the error, and so
// is the total line then: a total missing a queue would understate the
// backlog.
func (p *Publisher) Publish() error {
	ts := p.cfg.Clock.Now().UnixMilli()
	var buf bytes.Buffer
	var errs []error
	total := 0
	for _, q := range p.cfg.Queues {
		info, err := metrics.QueueInfo(p.cfg.Inspector, q)
		if err != nil {
			errs = append(errs, fmt.Errorf("read queue %s: %w", q, err))
			continue
		}
		if !info.Paused {
			total += info.Pending
		}
		p.line(&buf, queueLine{
			AWS:         p.metadata(ts, []string{DimensionEnvironment, DimensionQueue}, pendingDef, latencyDef),
			Environment: p.cfg.Environment,
			Queue:       q,
			Pending:     info.Pending,
			Latency:     info.Latency.Seconds(),
		})
	}
	if len(errs) == 0 {
		p.line(&buf, totalLine{
			AWS:         p.metadata(ts, []string{DimensionEnvironment}, pendingDef),
			Environment: p.cfg.Environment,
			Pending:     total,
		})
	}
	if buf.Len() > 0 {
		if _, err := p.cfg.Writer.Write(buf.Bytes()); err != nil {
			errs = append(errs, fmt.Errorf("write metrics: %w", err))
		}
	}
	return errors.Join(errs...)
}

// line appends v as one JSON line. The types below always marshal.
func (p *Publisher) line(buf *bytes.Buffer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("emf: marshal %T: %v", v, err))
	}
	buf.Write(b)
	buf.WriteByte('\n')
}

func (p *Publisher) metadata(ts int64, dims []string, metrics ...metricDef) metadata {
	return metadata{
		Timestamp: ts,
		CloudWatchMetrics: []directive{{
			Namespace:  p.cfg.Namespace,
			Dimensions: [][]string{dims},
			Metrics:    metrics,
		}},
	}
}

// The EMF document, field order as CloudWatch's documentation shows it.
type (
	metadata struct {
		Timestamp         int64       `json:"Timestamp"`
		CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
	}
	directive struct {
		Namespace  string      `json:"Namespace"`
		Dimensions [][]string  `json:"Dimensions"`
		Metrics    []metricDef `json:"Metrics"`
	}
	metricDef struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	queueLine struct {
		AWS         metadata `json:"_aws"`
		Environment string   `json:"Environment"`
		Queue       string   `json:"Queue"`
		Pending     int      `json:"PendingTasks"`
		Latency     float64  `json:"QueueLatency"`
	}
	totalLine struct {
		AWS         metadata `json:"_aws"`
		Environment string   `json:"Environment"`
		Pending     int      `json:"PendingTasks"`
	}
)

var (
	pendingDef = metricDef{Name: MetricPending, Unit: "Count"}
	latencyDef = metricDef{Name: MetricLatency, Unit: "Seconds"}
)
