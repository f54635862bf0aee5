package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/lease"
	"github.com/salonworks/jobs/internal/service"
	"github.com/salonworks/jobs/internal/tracing"
	"go.opentelemetry.io/otel/trace"
)

// KeyPrefix starts every Redis key the scheduler owns.
const KeyPrefix = "jobs:scheduler:"

// LeaderKey holds the ID of the leading scheduler process.
const LeaderKey = KeyPrefix + "leader"

// OnTime is how late a tick may be found and still count as on time, with
// no grace needed: the runner looks every PollInterval, and Redis may be
// briefly slow.
const OnTime = 5 * time.Second

// Config is what a Runner needs.
type Config struct {
	// Entries are the compiled entries (Load or Compile).
	Entries []Entry
	// Redis holds the lease, the tick records and the queues.
	Redis redis.UniversalClient
	// Logger receives a line per tick and per leadership change.
	Logger *slog.Logger
	// Registry receives the scheduler's metrics; nil skips them.
	Registry prometheus.Registerer
	// LeaseTTL is how long leadership lasts unrenewed: a follower takes
	// over at most this long (plus RenewInterval) after the leader dies.
	// Default 10 s.
	LeaseTTL time.Duration
	// RenewInterval is how often the lease is renewed or sought. Default 2 s.
	RenewInterval time.Duration
	// PollInterval is how often the leader looks for due ticks. Default 200 ms.
	PollInterval time.Duration
	// Clock is the time source; nil is the wall clock.
	Clock clock.Clock
	// TracerProvider receives a root span per tick, whose context the
	// tick's task carries; nil traces nothing.
	TracerProvider trace.TracerProvider
}

// Runner fires the entries' ticks while it leads.
type Runner struct {
	cfg     Config
	id      string
	client  *asynq.Client
	lease   *leadership
	last    map[string]time.Time
	metrics *runnerMetrics
	logger  *slog.Logger
	tracer  trace.Tracer

	mu      sync.Mutex
	leading bool
	cancel  context.CancelFunc // ends the loop; nil when not running
	done    chan struct{}      // closed when the loop has returned
}

var _ service.Service = (*Runner)(nil)

// New returns a runner; it does nothing until Start.
func New(cfg Config) (*Runner, error) {
	if cfg.Redis == nil || cfg.Logger == nil {
		return nil, errors.New("scheduler: Redis and Logger are required")
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 10 * time.Second
	}
	if cfg.RenewInterval <= 0 {
		cfg.RenewInterval = 2 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s:%d:%s", host, os.Getpid(), uuid.NewString()[:8])
	r := &Runner{
		cfg:    cfg,
		id:     id,
		client: asynq.NewClientFromRedisClient(cfg.Redis),
		lease:  &leadership{lease: lease.New(cfg.Redis, LeaderKey, id, cfg.LeaseTTL), margin: min(2*time.Second, cfg.LeaseTTL/4)},
		last:   map[string]time.Time{},
		logger: cfg.Logger.With("scheduler_id", id),
		tracer: tracing.Tracer(cfg.TracerProvider),
	}
	r.metrics = newRunnerMetrics(cfg.Registry)
	return r, nil
}

// ID identifies this process among the schedulers.
func (r *Runner) ID() string { return r.id }

// Leading reports whether this process leads now.
func (r *Runner) Leading() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.leading
}

// Start runs the election and firing loop in the background. It is not a
// service.Loop: the loop sleeps until the next tick when that comes before
// PollInterval, so a tick is enqueued within milliseconds of its time, and a
// Loop's interval is fixed.
func (r *Runner) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return errors.New("scheduler: runner already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	r.logger.Info("scheduler started", "entries", len(r.cfg.Entries))
	go r.loop(ctx, r.done)
	return nil
}

// Shutdown stops the loop and hands leadership over at once. It returns at
// once when the runner is not running.
func (r *Runner) Shutdown() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel, r.done = nil, nil
	r.mu.Unlock()
	if done == nil {
		return
	}
	cancel()
	<-done
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if r.Leading() {
		r.stepDown(ctx, "shutting down")
		if err := r.lease.release(ctx); err != nil {
			r.logger.Warn("release scheduler lease", "err", err)
		}
	}
	r.logger.Info("scheduler stopped")
}

// loop runs until stop ends. A pass under way when it does finishes with
// its own context: a tick half enqueued is recorded, not abandoned.
func (r *Runner) loop(stop context.Context, done chan struct{}) {
	defer close(done)
	ctx := context.WithoutCancel(stop)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lastRenew, lastBeat time.Time
	for {
		now := r.cfg.Clock.Now()
		if now.Sub(lastRenew) >= r.cfg.RenewInterval || (r.Leading() && !r.lease.held(now)) {
			lastRenew = now
			r.elect(ctx, now)
		}
		if r.Leading() && r.lease.held(r.cfg.Clock.Now()) {
			r.fireDue(ctx, r.cfg.Clock.Now())
			if now.Sub(lastBeat) >= 5*time.Second {
				lastBeat = now
				r.publish(ctx, now)
			}
		}
		timer.Reset(r.wait(r.cfg.Clock.Now()))
		select {
		case <-stop.Done():
			return
		case <-timer.C:
		}
	}
}

// wait is how long the loop sleeps: PollInterval, or less when a tick is
// due sooner, so a tick is enqueued within milliseconds of its time.
func (r *Runner) wait(now time.Time) time.Duration {
	wait := r.cfg.PollInterval
	if !r.Leading() {
		return wait
	}
	for i := range r.cfg.Entries {
		e := &r.cfg.Entries[i]
		if !e.Enabled {
			continue
		}
		// A tick already overdue (its enqueue failed) is retried at the
		// normal pace, not in a hot loop.
		if next := e.Next(r.last[e.Name]); next.After(now) {
			wait = min(wait, next.Sub(now))
		}
	}
	return wait
}

// elect refreshes the lease and acts on a change of leadership.
func (r *Runner) elect(ctx context.Context, now time.Time) {
	held, err := r.lease.refresh(ctx, now)
	if err != nil {
		r.logger.Warn("scheduler lease refresh failed", "err", err, "leading", held)
	}
	switch {
	case held && !r.Leading():
		if err := r.loadLast(ctx, now); err != nil {
			r.logger.Error("read last ticks; not leading yet", "err", err)
			// Give the lease back so another process (or this one, on
			// its next try) can lead without waiting for it to expire.
			if rerr := r.lease.release(ctx); rerr != nil {
				r.logger.Warn("release scheduler lease", "err", rerr)
			}
			return
		}
		r.setLeading(true)
		r.logger.Info("scheduler became leader")
		r.publish(ctx, now)
	case !held && r.Leading():
		r.stepDown(ctx, "lease lost")
	}
}

func (r *Runner) setLeading(v bool) {
	r.mu.Lock()
	r.leading = v
	r.mu.Unlock()
	r.metrics.setLeader(v)
}

func (r *Runner) stepDown(ctx context.Context, why string) {
	r.setLeading(false)
	r.logger.Warn("scheduler no longer leader", "reason", why)
	if err := clearDashboardEntries(ctx, r.cfg.Redis, r.id); err != nil {
		r.logger.Warn("clear dashboard schedule entries", "err", err)
	}
}

func lastKey(name string) string { return KeyPrefix + "last:" + name }

// loadLast reads where each entry's previous leader stopped. An entry never
// run before starts now: the scheduler does not invent history.
func (r *Runner) loadLast(ctx context.Context, now time.Time) error {
	for _, e := range r.cfg.Entries {
		v, err := r.cfg.Redis.Get(ctx, lastKey(e.Name)).Result()
		switch {
		case err == redis.Nil:
			r.last[e.Name] = now
			if err := r.cfg.Redis.Set(ctx, lastKey(e.Name), now.UnixMilli(), 0).Err(); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			ms, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil {
				return fmt.Errorf("entry %s: last tick %q: %w", e.Name, v, perr)
			}
			r.last[e.Name] = time.UnixMilli(ms)
		}
	}
	return nil
}
