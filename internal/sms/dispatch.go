package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// Dispatcher turns domain rows into outbox rows and sms:send tasks. Each
// logical message has a unique key, so two dispatchers at once, or one run
// twice, create each row once; only new rows get a task.
type Dispatcher struct {
	DB      *pgxpool.Pool
	Store   *outbox.Store
	Enqueue Enqueuer
	Logger  *slog.Logger
	// Clock is the time source; nil is the wall clock.
	Clock clock.Clock
	// EnqueueWorkers is how many enqueues run at once during a fan-out.
	EnqueueWorkers int
	// SendNow, when set, sends one new confirmation in the dispatch's own
	// task (Sender.SendRow): a tick with a few new confirmations sends them
	// at once instead of waiting for a worker to pick their tasks up. The
	// tasks are enqueued first all the same; whichever claims a row first
	// sends it, the other finds it taken.
	SendNow func(ctx context.Context, id int64) error
	// Lines is where review and marketing texts wait for their sender's
	// turn: the dispatchers put them in line directly, with no task each.
	// Nil gives each a task in the bulk queue instead.
	Lines *Limiter

	// afterBatch is a test seam: it runs after each batch of a campaign's
	// fan-out is stored and enqueued (the API acting mid-fan-out).
	afterBatch func(campaignID int64)
}

// DispatchConfirmations handles sms:dispatch_confirmations: every
// appointment still booked and starting within the next 24 h gets one
// confirmation.
func (d *Dispatcher) DispatchConfirmations(ctx context.Context, _ *asynq.Task, _ *tasksms.DispatchConfirmationsPayload) error {
	now := d.Clock.Now()
	rows, err := d.DB.Query(ctx, `
			SELECT a.id, a.salon_id, a.customer_id, c.phone, c.first_name, s.name, s.timezone, a.starts_at
			FROM appointments a
			JOIN customers c ON c.id = a.customer_id
			JOIN salons s ON s.id = a.salon_id
			WHERE a.status = 'booked' AND a.starts_at > $1::timestamptz AND a.starts_at <= $1::timestamptz + interval '24 hours'
			ORDER BY a.id`, now)
	if err != nil {
		return fmt.Errorf("find appointments to confirm: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (outbox.Message, error) {
		var (
			m                outbox.Message
			first, salon, tz string
			startsAt         time.Time
		)
		err := r.Scan(&m.AppointmentID, &m.SalonID, &m.CustomerID, &m.To, &first, &salon, &tz, &startsAt)
		m.IdempotencyKey = outbox.ConfirmationKey(m.AppointmentID, startsAt)
		m.Category, m.Kind = outbox.CategoryTransactional, outbox.KindConfirmation
		m.Body = text.ConfirmationBody(salon, first, startsAt, zone(tz))
		return m, err
	})
	if err != nil {
		return fmt.Errorf("read appointments to confirm: %w", err)
	}
	return d.createAndEnqueue(ctx, "confirmations", msgs)
}

// DispatchReviews handles sms:dispatch_reviews: every appointment
// completed at least 30 min and at most 24 h ago gets one review request
// with the salon's review link (salons without a link are left out).
func (d *Dispatcher) DispatchReviews(ctx context.Context, _ *asynq.Task, _ *tasksms.DispatchReviewsPayload) error {
	now := d.Clock.Now()
	rows, err := d.DB.Query(ctx, `
			SELECT a.id, a.salon_id, a.customer_id, c.phone, c.first_name, s.name, s.review_link
			FROM appointments a
			JOIN customers c ON c.id = a.customer_id
			JOIN salons s ON s.id = a.salon_id
			WHERE a.status = 'completed' AND s.review_link IS NOT NULL
			  AND a.completed_at <= $1::timestamptz - interval '30 minutes'
			  AND a.completed_at >= $1::timestamptz - interval '24 hours'
			ORDER BY a.id`, now)
	if err != nil {
		return fmt.Errorf("find appointments to review: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (outbox.Message, error) {
		var (
			m                  outbox.Message
			first, salon, link string
		)
		err := r.Scan(&m.AppointmentID, &m.SalonID, &m.CustomerID, &m.To, &first, &salon, &link)
		m.IdempotencyKey = outbox.ReviewKey(m.AppointmentID)
		m.Category, m.Kind = outbox.CategoryTransactional, outbox.KindReview
		m.Body = text.ReviewBody(salon, first, link)
		return m, err
	})
	if err != nil {
		return fmt.Errorf("read appointments to review: %w", err)
	}
	bySalon := map[int64][]outbox.Message{}
	var salons []int64
	for _, m := range msgs {
		if _, ok := bySalon[m.SalonID]; !ok {
			salons = append(salons, m.SalonID)
		}
		bySalon[m.SalonID] = append(bySalon[m.SalonID], m)
	}
	created := 0
	for _, salon := range salons {
		ids, err := d.lineUp(ctx, salon, bySalon[salon])
		if err != nil {
			return fmt.Errorf("store reviews of salon %d: %w", salon, err)
		}
		created += len(ids)
	}
	d.Logger.InfoContext(ctx, "sms dispatched", "dispatcher", "reviews", "due", len(msgs), "new", created)
	return nil
}

// lineUp stores review or marketing msgs of one salon (new keys only) and
// puts the new rows in the salon's line for its sender's turns, with no
// task each: they are stored pending with wait_reason rate_limited and a
// send_after past their expected turn (see Sender.joinLine), so a line
// lost with Redis loses none. Without Lines each new row gets a task in
// the bulk queue.
func (d *Dispatcher) lineUp(ctx context.Context, salon int64, msgs []outbox.Message) ([]int64, error) {
	if d.Lines == nil {
		ids, err := d.Store.CreateBatch(ctx, msgs)
		if err != nil {
			return nil, err
		}
		return ids, d.enqueueSends(ctx, ids, queues.SMSBulk)
	}
	turn, after, err := d.Lines.lineTurn(ctx, d.Store, salon, len(msgs), d.Clock.Now())
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		msgs[i].WaitReason, msgs[i].SendAfter = outbox.WaitRateLimited, after
	}
	ids, err := d.Store.CreateBatch(ctx, msgs)
	if err != nil || len(ids) == 0 {
		return ids, err
	}
	// Stored but not in line (Redis went away): the sweep gives them a
	// task past their send_after.
	if _, err := d.Lines.Join(ctx, turn, salon, ids...); err != nil {
		return ids, err
	}
	return ids, nil
}

// joinLines puts the pending rows ids of salon in its line of the salon's
// sender and records when they may expect their turn (past it by the
// store's StuckAfter, see Sender.joinLine). It returns how many it put in
// line.
func joinLines(ctx context.Context, lines *Limiter, store *outbox.Store, salon int64, ids []int64, now time.Time) (int, error) {
	turn, after, err := lines.lineTurn(ctx, store, salon, len(ids), now)
	if err != nil {
		return 0, err
	}
	if err := store.MarkWaiting(ctx, ids, outbox.WaitRateLimited, after); err != nil {
		return 0, err
	}
	if _, err := lines.Join(ctx, turn, salon, ids...); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// sendNowAtMost is how many new confirmations a dispatch sends itself; a
// larger tick leaves them all to the workers, which send them side by side.
const sendNowAtMost = 10

// createAndEnqueue stores msgs (new keys only) and enqueues a send for
// each new row.
func (d *Dispatcher) createAndEnqueue(ctx context.Context, what string, msgs []outbox.Message) error {
	ids, err := d.Store.CreateBatch(ctx, msgs)
	if err != nil {
		return fmt.Errorf("store %s: %w", what, err)
	}
	if err := d.enqueueSends(ctx, ids, queues.SMS); err != nil {
		return err
	}
	if d.SendNow != nil && len(ids) <= sendNowAtMost {
		for _, id := range ids {
			if err := d.SendNow(ctx, id); err != nil {
				// Its task sends it, retries included.
				d.Logger.WarnContext(ctx, "sms left to its task", "message_id", id, "error", err)
			}
		}
	}
	d.Logger.InfoContext(ctx, "sms dispatched", "dispatcher", what, "due", len(msgs), "new", len(ids))
	return nil
}

// enqueueSends enqueues the sms:send task of every id to queue, several at
// a time.
// Task IDs derive from the row, so a repeat is refused by asynq and
// ignored here (asynq wraps ErrTaskIDConflict: compare with errors.Is).
func (d *Dispatcher) enqueueSends(ctx context.Context, ids []int64, queue string) error {
	workers := max(d.EnqueueWorkers, 1)
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range min(workers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if int(i) >= len(ids) {
					return
				}
				// Each text stays in the dispatch's trace (the scheduler tick's).
				task, err := NewSendTask(ids[i], asynq.Queue(queue), tasks.WithTraceContext(ctx))
				if err == nil {
					_, err = d.Enqueue.EnqueueContext(ctx, task)
				}
				if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("enqueue sms %d: %w", ids[i], err)
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	// Rows stored but not enqueued are picked up by the reconciler's sweep
	// of pending rows, so an error here loses nothing.
	return firstErr
}

func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}
