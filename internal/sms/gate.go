package sms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/queues"
)

// quietHours puts a claimed review or marketing text (any text, with
// QuietTransactional) back until the next
// opening of the salon's sending window when now is outside it. It reports
// whether the row waits; the task that will send it is already scheduled.
func (s *Sender) quietHours(ctx context.Context, m outbox.Message, now time.Time) (bool, error) {
	if m.Kind != outbox.KindReview && m.Category != outbox.CategoryMarketing && !s.QuietTransactional {
		return false, nil
	}
	loc, err := s.salonZone(ctx, m.SalonID)
	if err != nil {
		return true, s.putBack(ctx, m, err)
	}
	if s.Quiet.Allowed(now, loc) {
		return false, nil
	}
	s.Metrics.waited(outbox.WaitQuietHours)
	return true, s.waitUntil(ctx, m, outbox.WaitQuietHours, s.Quiet.NextOpening(now, loc))
}

// salonTurn is the sender and rate of the salon's texts: its own, or the
// platform's (empty, zero) where it has none.
func salonTurn(ctx context.Context, store *outbox.Store, salonID int64) (Turn, error) {
	sender, rate, err := store.SalonSender(ctx, salonID)
	return Turn{Sender: sender, Rate: rate}, err
}

// rateLimit takes the next turn of the salon's sender. A transactional
// text waits in place for a short turn, or is put back and rescheduled for
// a long one. A review or marketing text goes at once when its sender is
// free, or holds the turn the Feeder handed its task; otherwise the row is
// put back and joins its salon's line of the sender, with no task: the
// Feeder gives it one at its turn.
func (s *Sender) rateLimit(ctx context.Context, m outbox.Message, now time.Time, turn Turn) (bool, error) {
	if s.Limiter == nil {
		return false, nil
	}
	class := textClass(m)
	turn.Transactional = class == classTransactional
	if !turn.Transactional && heldTurn(ctx) {
		return false, nil
	}
	start := time.Now()
	delay, err := s.Limiter.Wait(ctx, turn)
	if err != nil {
		return true, s.putBack(ctx, m, err)
	}
	if delay == 0 {
		s.Metrics.turnWaited(class, time.Since(start))
		return false, nil
	}
	s.Metrics.waited(outbox.WaitRateLimited)
	if turn.Transactional {
		s.Metrics.turnWaited(class, time.Since(start)+delay)
		return true, s.waitUntil(ctx, m, outbox.WaitRateLimited, now.Add(delay))
	}
	return true, s.joinLine(ctx, m, turn, now.Add(delay))
}

// joinLine puts a claimed review or marketing text back to pending and in
// its salon's line of the sender. The row is released first: a task handed
// out for it at once must find it pending. Its send_after is past its
// expected turn by the store's StuckAfter: the reconciler's sweep gives it a
// task again after that if its line was lost (a Redis without persistence
// restarted); a sweep that finds it still in line does no harm, the task
// puts it back where it was.
func (s *Sender) joinLine(ctx context.Context, m outbox.Message, turn Turn, expected time.Time) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := s.Store.Release(ctx, m.ID, outbox.WaitRateLimited, expected.Add(s.Store.StuckAfter())); err != nil {
		return fmt.Errorf("release sms %d: %w", m.ID, err)
	}
	if _, err := s.Limiter.Join(ctx, turn, m.SalonID, m.ID); err != nil {
		return fmt.Errorf("put sms %d in line: %w", m.ID, err)
	}
	return nil
}

// waitUntil releases the row with its reason and schedules its send for at.
// The current task then ends: the scheduled one carries the message.
func (s *Sender) waitUntil(ctx context.Context, m outbox.Message, reason string, at time.Time) error {
	// The release and the task it schedules must land even when the
	// task's context ends now: a row left claimed would wait for the
	// reconciler, and a released row without its task for the sweep.
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := s.Store.Release(ctx, m.ID, reason, at); err != nil {
		return fmt.Errorf("release sms %d: %w", m.ID, err)
	}
	task, err := NewSendTask(m.ID)
	if err != nil {
		return err
	}
	// A task ID per row and moment: a retry of this task schedules the
	// same one, never a second.
	id := waitTaskIDFor(m.ID, at)
	if cur, ok := taskinfo.ID(ctx); ok && cur == id {
		// This very task was scheduled for that moment and runs a little
		// early by this worker's clock: asynq would refuse the ID and the
		// row would be left with no task. Retry this one instead.
		return fmt.Errorf("sms %d woke before %s by this worker's clock; retrying", m.ID, at.UTC().Format(time.RFC3339))
	}
	_, err = s.Enqueue.EnqueueContext(ctx, task, asynq.Queue(sendQueue(m)), asynq.TaskID(id), asynq.ProcessAt(at))
	// asynq wraps ErrTaskIDConflict: compare with errors.Is.
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("schedule sms %d for %s: %w", m.ID, at.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// salonZone is the salon's time zone; an unknown zone is an error.
func (s *Sender) salonZone(ctx context.Context, salonID int64) (*time.Location, error) {
	var tz string
	err := s.DB.QueryRow(ctx, `SELECT timezone FROM salons WHERE id = $1`, salonID).Scan(&tz)
	if err != nil {
		return nil, fmt.Errorf("read time zone of salon %d: %w", salonID, err)
	}
	loc, lerr := time.LoadLocation(tz)
	if lerr != nil {
		// Never guess: UTC hours would send texts at night in the salon.
		// The row waits (retries, then archived with this reason) until
		// the salon's zone is fixed.
		return nil, fmt.Errorf("salon %d has an unknown time zone %q: quiet hours cannot be applied", salonID, tz)
	}
	return loc, nil
}

// consentSkip returns the reason a claimed row must not go out, checked at
// send time: the number opted out, or a marketing text to a customer who
// has not consented.
func (s *Sender) consentSkip(ctx context.Context, m outbox.Message) (string, error) {
	out, err := s.Store.IsOptedOut(ctx, m.To)
	if err != nil {
		return "", fmt.Errorf("check opt-out of sms %d: %w", m.ID, err)
	}
	if out {
		return outbox.SkipOptedOut, nil
	}
	if m.Category == outbox.CategoryMarketing {
		// Consent must be on record: by the row's customer, or, for an
		// inline text (or a customer since deleted), by every customer of
		// the salon with that number. No customer, no consent.
		var consent *bool
		var err error
		if m.CustomerID != 0 {
			err = s.DB.QueryRow(ctx, `SELECT marketing_consent FROM customers WHERE id = $1`, m.CustomerID).Scan(&consent)
		} else {
			err = s.DB.QueryRow(ctx, `SELECT bool_and(marketing_consent) FROM customers WHERE salon_id = $1 AND phone = $2`, m.SalonID, m.To).Scan(&consent)
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("check consent of sms %d: %w", m.ID, err)
		}
		if consent == nil || !*consent {
			return outbox.SkipNoConsent, nil
		}
	}
	return "", nil
}

// waitTaskIDFor is the ID of the task that sends row id at at, after a
// wait: one per row and moment.
func waitTaskIDFor(id int64, at time.Time) string {
	return fmt.Sprintf("%s:%d", SendTaskID(id), at.Unix())
}

// sendQueue is the queue of m's sms:send tasks that the daemon enqueues
// itself: the internal bulk queue for review and marketing texts, so that
// thousands of them (a campaign resumed, the morning's texts held by quiet
// hours) never stand ahead of a confirmation or a dispatcher in sms.
func sendQueue(m outbox.Message) string {
	if textClass(m) == classTransactional {
		return queues.SMS
	}
	return queues.SMSBulk
}
