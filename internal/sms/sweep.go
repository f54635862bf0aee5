package sms

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/queues"
)

// sweepMarker is a Redis key without expiry that the sweep sets once it has
// given every pending row a task. Its absence means Redis lost its data
// (a restart without persistence, a new instance): every task is gone, so
// the next sweep enqueues every pending row, those waiting for later too.
const sweepMarker = "jobs:sms:reconciler:tasks-complete"

// sweepWorkers is how many enqueues the sweep makes at once: the
// dispatchers' fan-out speed.
const sweepWorkers = 16

// sweep gives pending rows whose task is lost a task again. Normally those
// are rows idle for outbox.StuckAfter (a dispatcher died between storing
// and enqueueing), SweepPerPass a pass, continuing where the last pass
// stopped. After Redis lost its data it is every pending row, as fast as
// the pass's time allows, each under the task ID the send path would have
// given it; the marker is set once all are done.
func (r *Reconciler) sweep(ctx context.Context, now time.Time, sum *passSummary) error {
	n, err := r.Redis.Exists(ctx, sweepMarker).Result()
	if err != nil {
		return fmt.Errorf("sweep: read marker: %w", err)
	}
	if n == 0 {
		sum.mu.Lock()
		sum.RedisReset = true
		sum.mu.Unlock()
		return r.sweepAll(ctx, sum)
	}
	r.mu.Lock()
	after := r.sweepAfter
	r.mu.Unlock()
	rows, err := r.Store.ListIdlePending(ctx, now.Add(-r.Store.StuckAfter()), false, after, r.SweepPerPass)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	next := int64(0) // back to the start once the end is reached
	if len(rows) == r.SweepPerPass {
		next = rows[len(rows)-1].ID
	}
	r.mu.Lock()
	r.sweepAfter = next
	r.mu.Unlock()
	return r.enqueueAll(ctx, rows, false, sum)
}

// sweepAll enqueues every pending row, page by page, then sets the marker.
// A pass that runs out of time leaves a cursor, so the next one goes on
// from the page it was at rather than from the start.
func (r *Reconciler) sweepAll(ctx context.Context, sum *passSummary) error {
	r.mu.Lock()
	after := r.resetAfter
	r.mu.Unlock()
	for {
		rows, err := r.Store.ListIdlePending(ctx, time.Time{}, true, after, 5000)
		if err != nil {
			return fmt.Errorf("sweep after a Redis reset: %w", err)
		}
		if err := r.enqueueAll(ctx, rows, true, sum); err != nil {
			r.mu.Lock()
			r.resetAfter = after
			r.mu.Unlock()
			return err
		}
		if len(rows) < 5000 {
			break
		}
		after = rows[len(rows)-1].ID
	}
	r.mu.Lock()
	r.resetAfter = 0
	r.mu.Unlock()
	if err := r.Redis.Set(ctx, sweepMarker, r.Clock.Now().UTC().Format(time.RFC3339), 0).Err(); err != nil {
		return fmt.Errorf("sweep: set marker: %w", err)
	}
	return nil
}

// enqueueAll enqueues the rows' tasks, sweepWorkers at a time. After a
// Redis reset, the review and marketing texts that waited in their
// sender's lines are put back in line instead, with no task each.
func (r *Reconciler) enqueueAll(ctx context.Context, rows []outbox.IdlePending, reset bool, sum *passSummary) error {
	if reset && r.Lines != nil {
		var lined int
		var err error
		rows, lined, err = r.lineUpAgain(ctx, rows)
		sum.mu.Lock()
		sum.Swept += lined
		sum.mu.Unlock()
		if err != nil {
			return err
		}
	}
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, sweepWorkers)
		mu   sync.Mutex
		errs []error
	)
	for _, row := range rows {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			added, err := r.enqueueRow(ctx, row, reset)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if added {
				sum.Swept++
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("sweep: %w", err))
	}
	return errors.Join(errs[:min(len(errs), 3)]...)
}

// lineUpAgain puts the rows that waited in a line back in it, salon by
// salon, and returns the others.
func (r *Reconciler) lineUpAgain(ctx context.Context, rows []outbox.IdlePending) (rest []outbox.IdlePending, lined int, err error) {
	bySalon := map[int64][]int64{}
	var salons []int64
	for _, row := range rows {
		if !row.Bulk || row.WaitReason != outbox.WaitRateLimited {
			rest = append(rest, row)
			continue
		}
		if _, ok := bySalon[row.SalonID]; !ok {
			salons = append(salons, row.SalonID)
		}
		bySalon[row.SalonID] = append(bySalon[row.SalonID], row.ID)
	}
	for _, salon := range salons {
		n, err := joinLines(ctx, r.Lines, r.Store, salon, bySalon[salon], r.Clock.Now())
		if err != nil {
			return rest, lined, fmt.Errorf("sweep: %w", err)
		}
		lined += n
	}
	return rest, lined, nil
}

// enqueueRow enqueues one pending row's task and reports whether a task was
// added. The row's own task ID makes this a no-op while its task exists.
// When that task is finished (completed or archived, kept for its retention), a task
// named for the idle episode (the row's last update) is added instead; the
// claim makes sure only one task ever sends.
func (r *Reconciler) enqueueRow(ctx context.Context, row outbox.IdlePending, reset bool) (bool, error) {
	task, err := NewSendTask(row.ID)
	if err != nil {
		return false, err
	}
	// A lost task is looked for, and given back, in sms, where the
	// producers' and the reconciler's tasks of a row are (asynq refuses a
	// task ID twice only within one queue). The texts of a line lost with
	// Redis, the thousands, go back in line instead (lineUpAgain).
	queue := queues.SMS
	opts := []asynq.Option{asynq.Queue(queue)}
	// A text that waited in a line lost with Redis (and was not put back
	// in it: no Lines) is sent again at once: its task puts it back in
	// line (its send_after is only when the sweep would look for it).
	// Others get back their scheduled task.
	if reset && row.SendAfter.After(r.Clock.Now()) && !(row.Bulk && row.WaitReason == outbox.WaitRateLimited) {
		// A row waiting for quiet hours or the rate limit gets back the
		// scheduled task it had, under the same ID.
		opts = append(opts, asynq.TaskID(waitTaskIDFor(row.ID, row.SendAfter)), asynq.ProcessAt(row.SendAfter))
	}
	_, err = r.Enqueue.EnqueueContext(ctx, task, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) && r.Tasks != nil && len(opts) == 1 {
		info, ierr := r.Tasks.GetTaskInfo(queue, SendTaskID(row.ID))
		if ierr == nil && (info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived) {
			id := fmt.Sprintf("%s:sweep:%d", SendTaskID(row.ID), row.UpdatedAt.UnixMicro())
			_, err = r.Enqueue.EnqueueContext(ctx, task, asynq.Queue(queue), asynq.TaskID(id))
		}
	}
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("re-enqueue pending sms %d: %w", row.ID, err)
	}
	return true, nil
}
