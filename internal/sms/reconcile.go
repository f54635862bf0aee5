package sms

import (
	"context"
	"strconv"

	"errors"
	"fmt"
	"github.com/hibiken/asynq"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/queues"
)

// Reconciler settles sends whose outcome was lost, and rows that lost
// their task. Every pass, with a Redis lock so one worker does it at a time:
//
//   - a row "sending" for longer than outbox.StuckAfter (its worker died
//     mid-send) becomes "unknown";
//   - an "unknown" row is looked up at the provider: found, it is sent;
//     not found after Grace, a transactional confirmation is sent again
//     and any other text is marked failed (never blindly resent);
//   - a "pending" row with no send activity for StuckAfter gets its
//     sms:send task enqueued again (refused by asynq if it still exists).
type Reconciler struct {
	Store    *outbox.Store
	DB       *pgxpool.Pool
	Provider Provider
	Enqueue  Enqueuer
	Redis    redis.UniversalClient
	Logger   *slog.Logger
	Now      func() time.Time
	// Grace is how long an unknown send is looked for before the resend
	// decision. Default 10 min.
	Grace time.Duration
	// Interval between passes when run as a process. Default 30 s.
	Interval time.Duration
	// Skew is subtracted from the claim time when looking a send up.
	Skew time.Duration
	// Tasks looks tasks up (asynq.Inspector); optional.
	Tasks interface {
		GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	}

	stop, done chan struct{}
}

// Start runs a pass every Interval until Shutdown.
func (r *Reconciler) Start() error {
	if r.Interval <= 0 {
		r.Interval = 30 * time.Second
	}
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.Interval)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), r.Interval)
				if err := r.Pass(ctx); err != nil {
					r.Logger.Error("sms reconciliation pass failed", "err", err)
				}
				cancel()
			}
		}
	}()
	return nil
}

// Shutdown stops the passes.
func (r *Reconciler) Shutdown() {
	close(r.stop)
	<-r.done
}

const reconcileLock = "jobs:sms:reconciler"

// unlockScript deletes the lock only while it is still this pass's.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`)

// Pass runs one reconciliation, unless another worker is running one.
func (r *Reconciler) Pass(ctx context.Context) error {
	if r.Grace <= 0 {
		r.Grace = 10 * time.Minute
	}
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	ok, err := r.Redis.SetNX(ctx, reconcileLock, token, 5*time.Minute).Result()
	if err != nil || !ok {
		return err
	}
	defer unlockScript.Run(context.WithoutCancel(ctx), r.Redis, []string{reconcileLock}, token)
	now := r.Now()
	stuck, err := r.Store.ListStuckSending(ctx, now.Add(-outbox.StuckAfter), 500)
	if err != nil {
		return fmt.Errorf("list stuck sends: %w", err)
	}
	for _, m := range stuck {
		if err := r.Store.MarkUnknown(ctx, m.ID, errors.New("worker gone while sending")); err != nil && !errors.Is(err, outbox.ErrTransition) {
			return fmt.Errorf("mark sms %d unknown: %w", m.ID, err)
		}
	}
	unknown, err := r.Store.ListUnknown(ctx, now, 500)
	if err != nil {
		return fmt.Errorf("list unknown sends: %w", err)
	}
	for _, m := range unknown {
		if err := r.settle(ctx, m, now); err != nil {
			r.Logger.Warn("sms not settled yet", "message_id", m.ID, "err", err)
		}
	}
	return r.sweepPending(ctx, now)
}

// settle decides one unknown row.
func (r *Reconciler) settle(ctx context.Context, m outbox.Message, now time.Time) error {
	sid, found, err := r.Provider.FindSent(ctx, m.To, m.ClaimedAt.Add(-r.Skew), m.Body)
	if err != nil {
		return fmt.Errorf("look sms %d up: %w", m.ID, err)
	}
	if found {
		if _, err := r.Store.ApplyStatusByID(ctx, m.ID, sid, "sent", 0, now); err != nil {
			return err
		}
		r.Logger.Info("sms outcome found: it was sent", "message_id", m.ID, "sid", sid, "to", redact.Phone(m.To))
		return nil
	}
	if now.Sub(m.ClaimedAt) < r.Grace {
		return nil // Twilio's list may lag; look again next pass
	}
	if m.Kind == outbox.KindConfirmation || m.Kind == outbox.KindAdhoc && m.Category == outbox.CategoryTransactional {
		if err := r.Store.Reopen(ctx, m.ID); err != nil {
			return err
		}
		task, err := NewSendTask(m.ID)
		if err != nil {
			return err
		}
		// A fresh task ID: the first task for this row is finished.
		if _, err := r.Enqueue.EnqueueContext(ctx, task, asynq.TaskID(fmt.Sprintf("%s:resend:%d", SendTaskID(m.ID), now.Unix()))); err != nil {
			return fmt.Errorf("enqueue resend of sms %d: %w", m.ID, err)
		}
		r.Logger.Warn("sms not found at the provider after the grace period: transactional, sent again", "message_id", m.ID, "to", redact.Phone(m.To))
		return nil
	}
	if err := r.Store.MarkFailed(ctx, m.ID, 0, "outcome unknown and not found at the provider; not resent", now); err != nil {
		return err
	}
	r.Logger.Warn("sms not found at the provider after the grace period: not transactional, marked failed", "message_id", m.ID, "kind", m.Kind)
	return nil
}

// sweepPending re-enqueues pending rows nobody has touched for a while (a
// dispatcher that died between storing rows and enqueuing them) under the
// row's own task ID. When that task still exists but is finished
// (completed or archived, kept for a day), a task named for the idle
// episode (the row's last update) is added instead; the claim makes sure
// only one task ever sends.
func (r *Reconciler) sweepPending(ctx context.Context, now time.Time) error {
	rows, err := r.DB.Query(ctx, `
		SELECT id, updated_at FROM sms_messages
		WHERE status = 'pending' AND updated_at < $1 AND (send_after IS NULL OR send_after < $1)
		ORDER BY id LIMIT 1000`, now.Add(-outbox.StuckAfter))
	if err != nil {
		return fmt.Errorf("list idle pending sms: %w", err)
	}
	type idle struct {
		id      int64
		updated time.Time
	}
	var list []idle
	for rows.Next() {
		var i idle
		if err := rows.Scan(&i.id, &i.updated); err != nil {
			rows.Close()
			return err
		}
		list = append(list, i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, i := range list {
		task, err := NewSendTask(i.id)
		if err != nil {
			return err
		}
		_, err = r.Enqueue.EnqueueContext(ctx, task)
		if errors.Is(err, asynq.ErrTaskIDConflict) && r.Tasks != nil {
			info, ierr := r.Tasks.GetTaskInfo(queues.SMS, SendTaskID(i.id))
			if ierr == nil && (info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived) {
				id := fmt.Sprintf("%s:sweep:%d", SendTaskID(i.id), i.updated.UnixMicro())
				_, err = r.Enqueue.EnqueueContext(ctx, task, asynq.TaskID(id))
			}
		}
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("re-enqueue idle sms %d: %w", i.id, err)
		}
	}
	if len(list) > 0 {
		r.Logger.Info("idle pending sms re-enqueued", "count", len(list))
	}
	return nil
}
