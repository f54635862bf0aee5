package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks"
	"go.opentelemetry.io/otel/attribute"
)

// firedTTL keeps the record that a tick was enqueued long after its task is
// gone, so no clock skew or late failover can enqueue it again.
const firedTTL = 72 * time.Hour

func firedKey(name string, tick time.Time) string {
	return fmt.Sprintf("%sfired:%s:%d", KeyPrefix, name, tick.Unix())
}

// window is how late a tick of e may be enqueued.
func (e *Entry) window() time.Duration { return max(e.Grace, OnTime) }

// fireDue enqueues every due tick of every enabled entry, oldest first. A
// tick that is later than its window is skipped with a log line; an enqueue
// that fails is tried again on the next pass, while its window lasts.
func (r *Runner) fireDue(ctx context.Context, now time.Time) {
	for i := range r.cfg.Entries {
		e := &r.cfg.Entries[i]
		if !e.Enabled {
			continue
		}
		last := r.last[e.Name]
		if cutoff := now.Add(-e.window()); last.Before(cutoff) {
			skipped := e.Ticks(last, cutoff, 1000)
			for _, t := range skipped {
				r.logger.Warn("schedule tick skipped: outside its grace window",
					"entry", e.Name, "kind", e.Kind, "tick", t.UTC().Format(time.RFC3339), "late", now.Sub(t).Round(time.Millisecond).String(), "grace", e.Grace.String())
				r.metrics.tick(e.Name, "skipped")
			}
			if len(skipped) == 1000 {
				r.logger.Warn("more ticks skipped", "entry", e.Name, "until", cutoff.UTC().Format(time.RFC3339))
			}
			last = cutoff
		}
		for _, tick := range e.Ticks(last, now, 1000) {
			if err := r.enqueue(ctx, e, tick, now); err != nil {
				r.logger.Error("schedule tick not enqueued yet; retrying while its window lasts",
					"entry", e.Name, "kind", e.Kind, "tick", tick.UTC().Format(time.RFC3339), "err", err)
				r.metrics.tick(e.Name, "error")
				break
			}
			last = tick
		}
		if !last.Equal(r.last[e.Name]) {
			r.last[e.Name] = last
			if err := r.cfg.Redis.Set(ctx, lastKey(e.Name), last.UnixMilli(), 0).Err(); err != nil {
				r.logger.Warn("record last tick", "entry", e.Name, "err", err)
			}
		}
	}
}

// enqueue makes the task of one tick exactly once. The fired record moves
// pending → done around the enqueue; the task ID, derived from entry and
// tick, makes a second enqueue of the same tick (another leader after a
// failover, a retry after a lost answer) a no-op while the task is kept, and
// the done record covers the time after.
func (r *Runner) enqueue(ctx context.Context, e *Entry, tick, now time.Time) (err error) {
	ctx, span := r.startTick(ctx, e, tick)
	defer func() { endTick(span, err) }()
	key := firedKey(e.Name, tick)
	fresh, err := r.cfg.Redis.SetNX(ctx, key, "pending", firedTTL).Result()
	if err != nil {
		return fmt.Errorf("record tick: %w", err)
	}
	if !fresh {
		state, err := r.cfg.Redis.Get(ctx, key).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read tick record: %w", err)
		}
		if state == "done" {
			span.SetAttributes(attribute.String("jobs.schedule.outcome", "duplicate"))
			r.metrics.tick(e.Name, "duplicate")
			return nil
		}
	}
	task, err := e.Task(tick, tasks.WithTraceContext(ctx))
	if err != nil {
		return err
	}
	info, err := r.client.EnqueueContext(ctx, task)
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		span.SetAttributes(attribute.String("jobs.schedule.outcome", "duplicate"))
		r.metrics.tick(e.Name, "duplicate")
	case err != nil:
		return fmt.Errorf("enqueue %s: %w", e.Kind, err)
	default:
		lag := r.cfg.Clock.Now().Sub(tick)
		span.SetAttributes(attribute.String("jobs.schedule.outcome", "enqueued"), attribute.String("jobs.task.id", info.ID))
		r.metrics.enqueued(e.Name, lag)
		r.logger.Info("schedule tick enqueued", "entry", e.Name, "kind", e.Kind, "queue", info.Queue,
			"task_id", info.ID, "tick", tick.UTC().Format(time.RFC3339), "lag_ms", float64(lag.Microseconds())/1000)
		if err := recordEnqueue(ctx, r.cfg.Redis, e.Name, info.ID, r.cfg.Clock.Now()); err != nil {
			r.logger.Warn("record enqueue event for the dashboard", "entry", e.Name, "err", err)
		}
	}
	if err := r.cfg.Redis.Set(ctx, key, "done", firedTTL).Err(); err != nil {
		// The task exists; its ID still prevents a duplicate while kept.
		r.logger.Warn("mark tick done", "entry", e.Name, "err", err)
	}
	return nil
}

// publish writes the entries where the dashboard lists them.
func (r *Runner) publish(ctx context.Context, now time.Time) {
	var entries []dashboardEntry
	for i := range r.cfg.Entries {
		e := &r.cfg.Entries[i]
		spec := fmt.Sprintf("%s (%s, grace %s)", e.Cron, e.Timezone, e.Grace)
		d := dashboardEntry{id: e.Name, spec: spec, kind: e.Kind, payload: e.Payload, prev: r.last[e.Name]}
		if e.Enabled {
			d.next = e.Next(now)
		} else {
			d.spec += " disabled"
		}
		// Only options asynq can parse back: the dashboard shows them.
		if k, ok := tasks.Lookup(e.Kind); ok {
			for _, o := range queues.MustLookup(k.Queue).OptionsFor(e.Kind) {
				d.opts = append(d.opts, o.String())
			}
		}
		entries = append(entries, d)
	}
	if err := writeDashboardEntries(ctx, r.cfg.Redis, r.id, entries, 15*time.Second); err != nil {
		r.logger.Warn("publish schedule entries for the dashboard", "err", err)
	}
}
