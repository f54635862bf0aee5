package sms

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/sms/outbox"
)

// settleUnknown looks up the unknown rows due for it, grouped by number and
// the sender they were handed over from: one list request per pair, LookupWorkers numbers at a time, at most
// LookupsPerPass rows a pass. Rows left over are due again next pass; the
// order (least recently looked up first) spreads a storm of unknowns over
// passes instead of repeating the same ones.
func (r *Reconciler) settleUnknown(ctx context.Context, now time.Time, sum *passSummary) error {
	due, err := r.Store.ListUnknown(ctx, now, r.LookupsPerPass)
	if err != nil {
		return err
	}
	var order []lookupKey
	byNumber := make(map[lookupKey][]outbox.Message)
	for _, m := range due {
		k := lookupKey{to: m.To, sender: r.senderOf(m)}
		if _, ok := byNumber[k]; !ok {
			order = append(order, k)
		}
		byNumber[k] = append(byNumber[k], m)
	}
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, r.LookupWorkers)
		mu   sync.Mutex
		errs []error
	)
	for _, k := range order {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := r.settleNumber(ctx, k, byNumber[k], now, sum); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Only the first few errors: a storm must not make one huge line.
	return errors.Join(errs[:min(len(errs), 3)]...)
}

// lookupKey is what one lookup covers: the texts to one number from one
// sender.
type lookupKey struct{ to, sender string }

// senderOf is the sender row m was handed over from: the recorded one, or
// the platform's for a row handed over before senders were recorded.
func (r *Reconciler) senderOf(m outbox.Message) string {
	if m.Sender != "" {
		return m.Sender
	}
	return r.DefaultSender
}

// settleNumber decides the due rows to one number from one sender from one
// lookup under that sender.
func (r *Reconciler) settleNumber(ctx context.Context, k lookupKey, due []outbox.Message, now time.Time, sum *passSummary) error {
	sum.addInt(&sum.LookedUp, len(due))
	all, err := r.Store.ListInFlightTo(ctx, k.to)
	if err != nil {
		return err
	}
	// Only this sender's texts can be among the messages listed: another
	// sender's are matched by their own lookup.
	inflight := all[:0:0]
	for _, m := range all {
		if r.senderOf(m) == k.sender {
			inflight = append(inflight, m)
		}
	}
	since := now
	for _, m := range append(inflight, due...) {
		if s := m.Since(); !s.IsZero() && s.Before(since) {
			since = s
		}
	}
	look, err := r.Provider.Lookup(ctx, k.sender, k.to, since.Add(-r.Skew))
	if err == nil && !look.Complete {
		err = errors.New("the list did not reach back to the hand-over")
	}
	if err != nil {
		return r.undecided(ctx, due, now, sum, err)
	}
	var sids []string
	for _, c := range look.Messages {
		sids = append(sids, c.SID)
	}
	recorded, err := r.Store.RecordedSIDs(ctx, sids)
	if err != nil {
		return err
	}
	cands := look.Messages[:0:0]
	for _, c := range look.Messages {
		if !recorded[c.SID] {
			cands = append(cands, c)
		}
	}
	verdicts := match(inflight, cands, r.Skew, r.MatchWindow)
	var errs []error
	for _, m := range due {
		if err := r.apply(ctx, m, verdicts[m.ID], now, sum); err != nil && !errors.Is(err, outbox.ErrTransition) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// apply acts on one row's verdict. A row that moved on meanwhile (a status
// callback resolved it) refuses the transition, which is fine.
func (r *Reconciler) apply(ctx context.Context, m outbox.Message, v verdict, now time.Time, sum *passSummary) error {
	switch v.kind {
	case found:
		status := v.status
		if _, ok := rankedStatuses[status]; !ok {
			status = "sent"
		}
		if _, err := r.Store.ApplyStatusByID(ctx, m.ID, v.sid, status, 0, now); err != nil {
			return err
		}
		sum.addInt(&sum.Found, 1)
	case foundUnattributed:
		if err := r.Store.MarkFoundUnattributed(ctx, m.ID, now); err != nil {
			return err
		}
		sum.addInt(&sum.Unattributed, 1)
	case absent:
		first, err := r.Store.RecordAbsent(ctx, m.ID, now, now.Add(r.Settle))
		if err != nil {
			return err
		}
		if now.Sub(first) < r.Settle {
			sum.addInt(&sum.Absent, 1)
			return nil // looked for again a settle interval later
		}
		return r.resend(ctx, m, sum)
	default:
		return r.undecided(ctx, []outbox.Message{m}, now, sum, errors.New("more texts to this number than Twilio's messages can be told apart"))
	}
	return nil
}

// rankedStatuses are Twilio's statuses ApplyStatusByID knows; a found
// message in another state is recorded as sent.
var rankedStatuses = map[string]bool{
	"accepted": true, "scheduled": true, "queued": true, "sending": true, "sent": true,
	"delivered": true, "read": true, "undelivered": true, "failed": true, "canceled": true,
}

// resend sends again a text that two complete lookups, a settle interval
// apart, found no trace of. It goes through the send path like any pending
// row: consent, quiet hours and the campaign are checked again.
func (r *Reconciler) resend(ctx context.Context, m outbox.Message, sum *passSummary) error {
	if err := r.Store.Reopen(ctx, m.ID); err != nil {
		return err
	}
	sum.addInt(&sum.Resent, 1)
	if stopped, err := r.campaignStopped(ctx, m); err != nil || stopped {
		return err
	}
	task, err := NewSendTask(m.ID)
	if err != nil {
		return err
	}
	// A task ID per attempt: the row's earlier tasks are finished. Should
	// this enqueue fail, the sweep finds the pending row.
	tid := fmt.Sprintf("%s:resend:%d", SendTaskID(m.ID), m.Attempts)
	if _, err := r.Enqueue.EnqueueContext(ctx, task, asynq.TaskID(tid)); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue resend of sms %d: %w", m.ID, err)
	}
	return nil
}

// undecided records lookups that could not decide; a row undecided for
// GiveUp after its hand-over ends failed, outcome unknown.
func (r *Reconciler) undecided(ctx context.Context, rows []outbox.Message, now time.Time, sum *passSummary, cause error) error {
	sum.lookupFailed(cause)
	var errs []error
	for _, m := range rows {
		if now.Sub(m.Since()) >= r.GiveUp {
			msg := fmt.Sprintf("outcome unknown: Twilio could not be asked for %s after the hand-over (%v); not resent", r.GiveUp, cause)
			if err := r.Store.MarkFailed(ctx, m.ID, 0, msg, now); err != nil && !errors.Is(err, outbox.ErrTransition) {
				errs = append(errs, err)
				continue
			}
			sum.addInt(&sum.OutcomeUnknown, 1)
			continue
		}
		// Back off with each failure, up to ten settle intervals.
		next := now.Add(min(time.Duration(m.LookupsFailed+1)*r.Settle, 10*r.Settle))
		if err := r.Store.RecordLookupFailed(ctx, m.ID, next); err != nil && !errors.Is(err, outbox.ErrTransition) {
			errs = append(errs, err)
			continue
		}
		sum.addInt(&sum.Undecided, 1)
	}
	// The cause goes to the pass's summary line, not one line per row.
	return errors.Join(errs...)
}
