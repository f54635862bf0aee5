package sms

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/salonworks/jobs/internal/metrics"

	"github.com/salonworks/jobs/internal/sms/outbox"
)

// Classes of text, the label of the waiting and turn metrics: what a text
// is for, not whose it is.
const (
	classTransactional = "transactional"
	classReview        = "review"
	classMarketing     = "marketing"
)

// textClass is m's class: review requests apart from the other
// transactional texts, since they may wait for quiet hours.
func textClass(m outbox.Message) string {
	switch {
	case m.Kind == outbox.KindReview:
		return classReview
	case m.Category == outbox.CategoryMarketing:
		return classMarketing
	}
	return classTransactional
}

// SendMetrics are what the send path decided about texts, on the
// process's registry. Labels are reasons only: never a salon or a number.
type SendMetrics struct {
	// Skipped counts texts ended skipped, by skip_reason.
	Skipped *prometheus.CounterVec
	// Waits counts texts put back to wait, by wait_reason.
	Waits *prometheus.CounterVec
	// TurnWait is how long a text waited for its sender's turn under the
	// rate limit, by class (in place, until its rescheduled turn, or in
	// line until the Feeder handed it one).
	TurnWait *prometheus.HistogramVec
	// Handed counts the turns the Feeder handed to texts in line.
	Handed prometheus.Counter
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
	turn := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "jobs_sms_turn_wait_seconds",
		Help:    "Time an SMS text waited for its sender's turn under the rate limit, by class (transactional, review, marketing).",
		Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800},
	}, []string{"class"})
	turn, err = metrics.Register(reg, turn)
	if err != nil {
		return nil, err
	}
	handed, err := metrics.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "jobs_sms_turns_handed_total",
		Help: "Turns of a sender handed to review and marketing texts waiting in line (fair turns across the salons sharing the sender).",
	}))
	if err != nil {
		return nil, err
	}
	return &SendMetrics{Skipped: skipped, Waits: waits, TurnWait: turn, Handed: handed}, nil
}

func registerCounterVec(reg prometheus.Registerer, opts prometheus.CounterOpts, label string) (*prometheus.CounterVec, error) {
	return metrics.Register(reg, prometheus.NewCounterVec(opts, []string{label}))
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

func (m *SendMetrics) handed() {
	if m != nil {
		m.Handed.Inc()
	}
}

func (m *SendMetrics) turnWaited(class string, d time.Duration) {
	if m != nil {
		m.TurnWait.WithLabelValues(class).Observe(d.Seconds())
	}
}

// WaitingCollector reports, at each scrape, the outbox's pending texts by
// class (jobs_sms_waiting): one indexed count over the pending rows.
type WaitingCollector struct {
	DB *pgxpool.Pool
}

var waitingDesc = prometheus.NewDesc("jobs_sms_waiting",
	"SMS texts pending in the outbox (waiting for their task, their turn, quiet hours or a paused campaign), by class.",
	[]string{"class"}, nil)

// Describe implements prometheus.Collector.
func (c WaitingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- waitingDesc }

// Collect implements prometheus.Collector. A failed count reports
// nothing rather than zeros that would read as an empty outbox.
func (c WaitingCollector) Collect(ch chan<- prometheus.Metric) {
	if c.DB == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts := map[string]float64{classTransactional: 0, classReview: 0, classMarketing: 0}
	rows, err := c.DB.Query(ctx, `
		SELECT CASE WHEN kind = 'review' THEN 'review' WHEN category = 'marketing' THEN 'marketing' ELSE 'transactional' END,
			count(*)
		FROM sms_messages WHERE status = 'pending' GROUP BY 1`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var class string
		var n int64
		if err := rows.Scan(&class, &n); err != nil {
			return
		}
		counts[class] = float64(n)
	}
	if rows.Err() != nil {
		return
	}
	for class, n := range counts {
		ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, n, class)
	}
}
