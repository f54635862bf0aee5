package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// scrapeTimeout bounds the Redis reads of one scrape.
const scrapeTimeout = 2 * time.Second

// instruments are the bridge's metrics: a counter of entries by outcome,
// counted by this process, and the group's lag and pending count and the
// streams' lengths, read from Redis at scrape time so every process
// reports the cluster's figures.
type instruments struct {
	b       *Bridge
	reg     prometheus.Registerer
	entries *prometheus.CounterVec

	lag, pending, length, up *prometheus.Desc
	// backlog and abandoned cover every group on the stream, the
	// configured one and any other (see Groups).
	backlog, abandoned *prometheus.Desc
}

func newInstruments(b *Bridge) (*instruments, error) {
	m := &instruments{
		b:   b,
		reg: b.cfg.Registry,
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobs_ingest_entries_total",
			Help: "Stream entries handled by this process's ingest bridge, by outcome (read, enqueued, duplicate, dead, failed).",
		}, []string{"outcome"}),
		lag:     prometheus.NewDesc("jobs_ingest_lag", "Entries of jobs:ingest not yet delivered to the consumer group.", []string{"group"}, nil),
		pending: prometheus.NewDesc("jobs_ingest_pending", "Entries delivered to the consumer group and not yet acknowledged.", []string{"group"}, nil),
		length:  prometheus.NewDesc("jobs_ingest_stream_length", "Entries in the ingest stream and in its dead-letter stream.", []string{"stream"}, nil),
		up:      prometheus.NewDesc("jobs_ingest_scrape_ok", "1 when the ingest stream's state could be read from Redis.", nil, nil),
		backlog: prometheus.NewDesc("jobs_ingest_group_backlog", "Entries of jobs:ingest each consumer group has not acknowledged (undelivered or pending); trimming keeps them all.", []string{"group"}, nil),
		abandoned: prometheus.NewDesc("jobs_ingest_group_abandoned",
			"1 for a consumer group other than REDIS_STREAM_CONSUMER_GROUP whose consumers have been silent for the consumer idle time while it holds entries back from trimming: destroy it (XGROUP DESTROY) or the stream grows.", []string{"group"}, nil),
	}
	for _, o := range []string{"read", OutcomeEnqueued, OutcomeDuplicate, OutcomeDead, OutcomeFailed} {
		m.entries.WithLabelValues(o)
	}
	if m.reg == nil {
		return m, nil
	}
	if err := m.reg.Register(m.entries); err != nil {
		return nil, fmt.Errorf("ingest: register metrics: %w", err)
	}
	if err := m.reg.Register(m); err != nil {
		m.reg.Unregister(m.entries)
		return nil, fmt.Errorf("ingest: register metrics: %w", err)
	}
	return m, nil
}

func (m *instruments) count(outcome string, n int) {
	if n > 0 {
		m.entries.WithLabelValues(outcome).Add(float64(n))
	}
}

func (m *instruments) unregister() {
	if m.reg != nil {
		m.reg.Unregister(m.entries)
		m.reg.Unregister(m)
	}
}

// Describe implements prometheus.Collector.
func (m *instruments) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.lag
	ch <- m.pending
	ch <- m.length
	ch <- m.up
	ch <- m.backlog
	ch <- m.abandoned
}

// Collect implements prometheus.Collector.
func (m *instruments) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := m.b.State(ctx)
	if err != nil {
		m.b.cfg.Logger.Debug("ingest: read stream state for metrics", "err", err.Error())
		ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(m.lag, prometheus.GaugeValue, float64(st.Lag), m.b.cfg.Group)
	ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(st.Pending), m.b.cfg.Group)
	ch <- prometheus.MustNewConstMetric(m.length, prometheus.GaugeValue, float64(st.Length), Stream)
	ch <- prometheus.MustNewConstMetric(m.length, prometheus.GaugeValue, float64(st.DeadLength), DeadStream)
	groups, err := m.b.Groups(ctx)
	if err != nil {
		m.b.cfg.Logger.Debug("ingest: read consumer groups for metrics", "err", err.Error())
		return
	}
	for _, g := range groups {
		abandoned := 0.0
		if g.Abandoned {
			abandoned = 1
		}
		ch <- prometheus.MustNewConstMetric(m.backlog, prometheus.GaugeValue, float64(g.Lag+g.Pending), g.Name)
		ch <- prometheus.MustNewConstMetric(m.abandoned, prometheus.GaugeValue, abandoned, g.Name)
	}
}

// State is the consumer group's position in the stream.
type State struct {
	// Lag counts entries not yet delivered to the group.
	Lag int64
	// Pending counts entries delivered and not yet acknowledged.
	Pending int64
	// Length is the stream's length; DeadLength the dead-letter stream's.
	Length, DeadLength int64
}

// State reads the group's lag and pending count and both streams' lengths
// in one round trip. When Redis cannot tell the lag (entries were deleted
// inside the undelivered range) it is estimated from the counters, which
// may count deleted entries.
func (b *Bridge) State(ctx context.Context) (State, error) {
	var groups *redis.XInfoGroupsCmd
	var length, dead *redis.IntCmd
	var stream *redis.XInfoStreamCmd
	_, _ = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		groups = p.XInfoGroups(ctx, Stream)
		stream = p.XInfoStream(ctx, Stream)
		length = p.XLen(ctx, Stream)
		dead = p.XLen(ctx, DeadStream)
		return nil
	})
	gs, err := groups.Result()
	if err != nil {
		return State{}, fmt.Errorf("read consumer groups of %s: %w", Stream, err)
	}
	st := State{Length: length.Val(), DeadLength: dead.Val()}
	for _, g := range gs {
		if g.Name != b.cfg.Group {
			continue
		}
		st.Pending = g.Pending
		st.Lag = g.Lag
		if st.Lag < 0 {
			info, err := stream.Result()
			if err != nil {
				return State{}, fmt.Errorf("read %s: %w", Stream, err)
			}
			st.Lag = max(0, min(info.EntriesAdded-g.EntriesRead, st.Length))
		}
		return st, nil
	}
	return State{}, fmt.Errorf("consumer group %s of %s: %w", b.cfg.Group, Stream, errNoGroup)
}

var errNoGroup = errors.New("no such group")

// Lag returns how many entries wait to be delivered to the group, for
// /health/ready.
func (b *Bridge) Lag(ctx context.Context) (int64, error) {
	st, err := b.State(ctx)
	return st.Lag, err
}
