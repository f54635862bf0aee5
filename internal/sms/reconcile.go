package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/lease"
	"github.com/salonworks/jobs/internal/service"
	"github.com/salonworks/jobs/internal/sms/outbox"
)

// Production values of the reconciler's intervals; the chaos suite and the
// tests shorten them.
const (
	// DefaultReconcileInterval is the time between passes.
	DefaultReconcileInterval = 30 * time.Second
	// DefaultSettle is how far apart two lookups must be that both find
	// no trace of a text before it is sent again.
	DefaultSettle = 2 * time.Minute
	// DefaultGiveUp is how long after the hand-over a text whose lookups
	// keep failing is written off as failed, outcome unknown.
	DefaultGiveUp = 6 * time.Hour
	// DefaultMatchWindow is how long after its hand-over Twilio may have
	// created a text: the request's timeout and then some.
	DefaultMatchWindow = time.Minute
)

// Reconciler settles the texts whose outcome was lost and the rows that
// lost their task, on evidence only. Each pass, under a Redis lease so one
// worker runs it at a time, has three independent parts, each bounded so
// that none can starve another (the last two run side by side):
//
//   - claims: a row claimed but never handed to Twilio, whose claim is
//     older than outbox.StuckAfter, goes back to pending and gets a task at
//     once (the send path checks consent, quiet hours and the campaign
//     again); a handed row still sending that long becomes unknown;
//   - lookups: unknown rows due for a lookup are looked up at Twilio, one
//     list request per number, a bounded number of numbers at a time (see
//     settle);
//   - sweep: pending rows whose task is lost get one again; after Redis
//     lost its data, every pending row, at fan-out speed.
//
// One summary line is logged per pass that did anything.
type Reconciler struct {
	Store    *outbox.Store
	Provider Provider
	// Lines is where review and marketing texts wait for their sender's
	// turn: after a Redis reset the sweep puts the texts that waited in a
	// line back in it. Nil gives each a task instead.
	Lines   *Limiter
	Enqueue Enqueuer
	Redis   redis.UniversalClient
	Logger  *slog.Logger
	Clock   clock.Clock
	// Metrics counts the pass's outcomes; optional.
	Metrics *ReconcileMetrics
	// DefaultSender is the platform's sender, under which the rows handed
	// over before senders were recorded are looked up (as Sender's).
	DefaultSender string
	// Tasks looks tasks up (asynq.Inspector); optional.
	Tasks interface {
		GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	}
	// Interval between passes; DefaultReconcileInterval when zero.
	Interval time.Duration
	// Settle, GiveUp and MatchWindow: see their defaults.
	Settle      time.Duration
	GiveUp      time.Duration
	MatchWindow time.Duration
	// Skew is the clock difference with Twilio tolerated in lookups.
	Skew time.Duration
	// LookupsPerPass bounds the unknown rows looked at per pass (500 when
	// zero), LookupWorkers the numbers looked up at once (8).
	LookupsPerPass int
	LookupWorkers  int
	// SweepPerPass bounds the idle pending rows re-enqueued per pass in
	// normal times (2,000 when zero); after Redis lost its data there is
	// no bound but the pass's time.
	SweepPerPass int

	once  sync.Once
	lease *lease.Lease
	loop  *service.Loop

	mu         sync.Mutex
	sweepAfter int64 // the idle sweep's cursor, so it does not reread the same rows
	resetAfter int64 // the sweep-after-reset's cursor, across passes
}

func (r *Reconciler) init() {
	r.once.Do(func() {
		if r.Interval <= 0 {
			r.Interval = DefaultReconcileInterval
		}
		if r.Settle <= 0 {
			r.Settle = DefaultSettle
		}
		if r.GiveUp <= 0 {
			r.GiveUp = DefaultGiveUp
		}
		if r.MatchWindow <= 0 {
			r.MatchWindow = DefaultMatchWindow
		}
		if r.LookupsPerPass <= 0 {
			r.LookupsPerPass = 500
		}
		if r.LookupWorkers <= 0 {
			r.LookupWorkers = 8
		}
		if r.SweepPerPass <= 0 {
			r.SweepPerPass = 2000
		}
		r.lease = lease.New(r.Redis, reconcileLease, "", max(2*r.Interval, time.Minute))
	})
}

// reconcileLease is the Redis key of the reconciler's lease.
const reconcileLease = "jobs:sms:reconciler"

// Start runs a pass at once and then every Interval until Shutdown.
func (r *Reconciler) Start() error {
	r.init()
	// A pass may take longer than a short interval: after a Redis reset
	// the sweep enqueues every pending row. The lease outlives it.
	r.loop = &service.Loop{Name: "sms reconciler", Interval: r.Interval, Timeout: max(r.Interval, 30*time.Second), Immediate: true, Run: r.Pass, Logger: r.Logger}
	return r.loop.Start()
}

// Shutdown stops the passes, cancelling a running one.
func (r *Reconciler) Shutdown() {
	if r.loop != nil {
		r.loop.Shutdown()
	}
}

var _ service.Service = (*Reconciler)(nil)

// Pass runs one reconciliation, unless another worker is running one.
func (r *Reconciler) Pass(ctx context.Context) error {
	r.init()
	ok, err := r.lease.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("take the sms reconciler lease: %w", err)
	}
	if !ok {
		return nil
	}
	defer r.lease.Release(ctx)
	now := r.Clock.Now()
	var (
		sum  passSummary
		errs [3]error
		wg   sync.WaitGroup
	)
	// Claims first (two statements and the enqueues of what they put
	// back), so that a row found stuck is looked up in the same pass; then
	// the lookups and the sweep side by side, so that neither waits for
	// the other.
	errs[0] = errors.Join(r.recoverClaims(ctx, now, &sum), r.campaignPass(ctx, now))
	wg.Go(func() { errs[1] = r.settleUnknown(ctx, now, &sum) })
	wg.Go(func() { errs[2] = r.sweep(ctx, now, &sum) })
	wg.Wait()
	err = errors.Join(errs[:]...)
	sum.log(r.Logger, err)
	r.Metrics.add(&sum)
	return err
}

// recoverClaims puts back the stale claims that never reached Twilio and
// enqueues them, and marks the handed rows whose worker is gone unknown.
func (r *Reconciler) recoverClaims(ctx context.Context, now time.Time, sum *passSummary) error {
	released, err := r.Store.ReleaseStaleClaims(ctx, now, 1000)
	if err != nil {
		return err
	}
	sum.addInt(&sum.Released, len(released))
	var errs []error
	for _, id := range released {
		task, err := NewSendTask(id)
		if err != nil {
			return err
		}
		// A fresh task ID: the row's first task may be finished. Should
		// this enqueue fail, the sweep finds the pending row.
		tid := fmt.Sprintf("%s:reclaim:%d", SendTaskID(id), now.UnixMicro())
		if _, err := r.Enqueue.EnqueueContext(ctx, task, asynq.TaskID(tid)); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			errs = append(errs, fmt.Errorf("enqueue released sms %d: %w", id, err))
		}
	}
	n, err := r.Store.MarkStuckUnknown(ctx, now, 1000)
	sum.addInt(&sum.MarkedUnknown, n)
	return errors.Join(append(errs, err)...)
}
