package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/queues"
)

// campaignPassLimit is how many rows one campaign pass skips or resumes;
// the next pass goes on.
const campaignPassLimit = 5000

// campaignStop checks, for a campaign text under a claim, whether its
// campaign was stopped, and if so lets go of the row: a cancelled
// campaign's text ends skipped, a paused one's goes back to pending with
// WaitCampaignPaused and no task (the campaign pass enqueues it when the
// campaign sends again). It reports whether the row was let go. The send
// path asks it before taking a turn of the sender (a paused campaign must
// not use up the rate) and again just before the hand-over, so that a
// stop reaches every send within the time one send takes.
func (s *Sender) campaignStop(ctx context.Context, m outbox.Message) (bool, error) {
	if m.CampaignID == 0 {
		return false, nil
	}
	status, err := s.Store.CampaignStatus(ctx, m.CampaignID)
	if err != nil {
		return true, s.putBack(ctx, m, err)
	}
	dctx, cancel := detached(ctx)
	defer cancel()
	switch status {
	case outbox.CampaignCancelled:
		if err := s.Store.MarkSkipped(dctx, m.ID, outbox.SkipCampaignCancelled); err != nil {
			return true, s.putBack(ctx, m, fmt.Errorf("skip sms %d: %w", m.ID, err))
		}
		s.Metrics.skipped(outbox.SkipCampaignCancelled)
		return true, nil
	case outbox.CampaignPaused:
		if err := s.Store.Release(dctx, m.ID, outbox.WaitCampaignPaused, time.Time{}); err != nil {
			return true, fmt.Errorf("hold sms %d for its paused campaign: %w", m.ID, err)
		}
		s.Metrics.waited(outbox.WaitCampaignPaused)
		return true, nil
	}
	return false, nil
}

// campaignPass ends the pending texts of cancelled campaigns skipped,
// marks those of paused campaigns waiting, and enqueues again the texts
// of paused campaigns that send again. The
// reconciler runs it every pass, and the campaign dispatcher every run.
func campaignPass(ctx context.Context, store *outbox.Store, enq Enqueuer, now time.Time, logger *slog.Logger) error {
	skipped, err := store.SkipCancelledCampaigns(ctx, campaignPassLimit)
	if err != nil {
		return err
	}
	// Every pending text of a paused campaign is marked as waiting for it,
	// not only those whose task has run: a task lost meanwhile (a Redis
	// reset) is then not needed, the resume enqueues them all.
	held, err := store.HoldPaused(ctx, campaignPassLimit)
	if err != nil {
		return err
	}
	resumed, err := store.ResumePaused(ctx, campaignPassLimit)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, id := range resumed {
		task, err := NewSendTask(id)
		if err != nil {
			return err
		}
		// A task ID per resume: the row's earlier tasks are finished.
		// Should this enqueue fail, the sweep finds the pending row.
		tid := fmt.Sprintf("%s:resume:%d", SendTaskID(id), now.UnixMicro())
		// A campaign's texts are marketing: the bulk queue, where a
		// resume of thousands does not hold up the confirmations.
		if _, err := enq.EnqueueContext(ctx, task, asynq.Queue(queues.SMSBulk), asynq.TaskID(tid)); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			errs = append(errs, fmt.Errorf("enqueue resumed sms %d: %w", id, err))
			if len(errs) > 3 {
				break
			}
		}
	}
	if logger != nil && skipped+held+len(resumed) > 0 {
		logger.InfoContext(ctx, "campaign texts stopped or resumed", "skipped_cancelled", skipped, "held_paused", held, "resumed", len(resumed))
	}
	return errors.Join(errs...)
}

// campaignPass is the reconciler's campaign pass.
func (r *Reconciler) campaignPass(ctx context.Context, now time.Time) error {
	return campaignPass(ctx, r.Store, r.Enqueue, now, r.Logger)
}

// campaignStopped reports whether m's campaign is cancelled or paused: the
// reconciler then leaves the reopened row to the campaign pass (skipped,
// or waiting for the resume) instead of enqueueing it.
func (r *Reconciler) campaignStopped(ctx context.Context, m outbox.Message) (bool, error) {
	if m.CampaignID == 0 {
		return false, nil
	}
	status, err := r.Store.CampaignStatus(ctx, m.CampaignID)
	if err != nil {
		return false, err
	}
	return status == outbox.CampaignCancelled || status == outbox.CampaignPaused, nil
}
