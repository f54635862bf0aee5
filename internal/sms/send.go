package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/internal/sms/twilio"
	"github.com/salonworks/jobs/internal/taskerr"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// Enqueuer is the part of asynq.Client the SMS jobs use.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// RateLimiter is what the send path asks for a turn of a sender
// (*Limiter): the delay to wait for, zero to send now; and where a review
// or marketing text waits for its turn (Join).
type RateLimiter interface {
	Wait(ctx context.Context, turn Turn) (time.Duration, error)
	Join(ctx context.Context, turn Turn, salon int64, rows ...int64) (int64, error)
}

// Sender handles sms:send: one outbox row taken through claim, consent,
// quiet hours and the rate limit to the provider, exactly once.
type Sender struct {
	Store    *outbox.Store
	DB       *pgxpool.Pool
	Provider Provider
	Limiter  RateLimiter
	Enqueue  Enqueuer
	// DefaultSender is the platform's sender (TWILIO_MESSAGING_SERVICE_SID
	// or TWILIO_FROM), recorded on the texts of salons without their own.
	DefaultSender string
	// Quiet is the window in which review and marketing texts may go out,
	// in the salon's time zone.
	Quiet text.QuietHours
	// QuietTransactional puts confirmations and other transactional texts
	// under the same window (SMS_QUIET_HOURS_TRANSACTIONAL).
	QuietTransactional bool
	// PublicBaseURL is the origin Twilio calls back (PUBLIC_BASE_URL).
	PublicBaseURL string
	Logger        *slog.Logger
	// Clock is the time source; nil is the wall clock.
	Clock clock.Clock
	// Metrics counts skips and waits by reason; nil counts nothing.
	Metrics *SendMetrics

	// afterSend is a test seam: it runs after the provider accepted a
	// message and before the row records it (a worker killed there).
	afterSend func(id int64) error
}

// SendTaskID is the task ID of the sms:send task of row id, so that the
// dispatchers and the reconciler can enqueue it again without duplicates.
func SendTaskID(id int64) string { return "sms:send:" + strconv.FormatInt(id, 10) }

// NewSendTask returns the sms:send task of outbox row id.
func NewSendTask(id int64, opts ...asynq.Option) (*asynq.Task, error) {
	return tasksms.NewSendTask(tasksms.SendPayload{MessageID: id}, append([]asynq.Option{asynq.TaskID(SendTaskID(id))}, opts...)...)
}

// Send handles one sms:send task, its payload decoded and validated by the
// worker: a row of the outbox, or an inline message stored first.
func (s *Sender) Send(ctx context.Context, _ *asynq.Task, p *tasksms.SendPayload) error {
	id := p.MessageID
	if id == 0 {
		var err error
		if id, err = s.createInline(ctx, *p); err != nil {
			return err
		}
	}
	return waitOutage(s.send(ctx, id))
}

// SendRow sends outbox row id as its sms:send task would (the
// confirmations' dispatcher sends a few new rows itself this way).
func (s *Sender) SendRow(ctx context.Context, id int64) error {
	return waitOutage(s.send(ctx, id))
}

// createInline stores a producer's inline message under its idempotency
// key, so a producer's retry finds the same row.
func (s *Sender) createInline(ctx context.Context, p tasksms.SendPayload) (int64, error) {
	body := p.Body
	if p.Category == outbox.CategoryMarketing {
		body = text.MarketingBody(body)
	}
	id, _, err := s.Store.Create(ctx, outbox.Message{
		IdempotencyKey: "api:" + p.IdempotencyKey, SalonID: p.SalonID, Category: p.Category,
		Kind: outbox.KindAdhoc, To: p.To, Body: body,
	})
	if errors.Is(err, outbox.ErrInvalid) {
		return 0, taskerr.Permanent("inline sms refused", err)
	}
	if err != nil {
		return 0, fmt.Errorf("store inline sms: %w", err)
	}
	return id, nil
}

func (s *Sender) send(ctx context.Context, id int64) error {
	now := s.Clock.Now()
	m, err := s.Store.Claim(ctx, id, now)
	switch {
	case errors.Is(err, outbox.ErrNotFound):
		return taskerr.Permanent(fmt.Sprintf("sms message %d does not exist", id), err)
	case errors.Is(err, outbox.ErrNotClaimable):
		// Already sent, skipped, failed, or in another worker's hands (or
		// the reconciler's): nothing to do, and nothing to send twice. A
		// claim whose worker died before the hand-over is taken over once
		// stale, by a later task or the reconciler.
		return nil
	case err != nil:
		return fmt.Errorf("claim sms %d: %w", id, err)
	}
	// A stopped campaign's text goes no further: not even a turn of the
	// sender, which would be taken from the texts that may go out.
	if stop, err := s.campaignStop(ctx, m); err != nil || stop {
		return err
	}
	// A confirmation or review request must still be true when it
	// leaves, also after a night held by quiet hours.
	if stale, err := s.skipStale(ctx, m); err != nil || stale {
		return err
	}
	if wait, err := s.quietHours(ctx, m, now); err != nil || wait {
		return err
	}
	turn, err := salonTurn(ctx, s.Store, m.SalonID)
	if err != nil {
		return s.putBack(ctx, m, err)
	}
	if wait, err := s.rateLimit(ctx, m, now, turn); err != nil || wait {
		return err
	}
	// Consent is checked at send time, not only when the row was made, and
	// after the rate limit's wait: a STOP that arrives while the text waits
	// for its turn still stops it.
	if skip, err := s.consentSkip(ctx, m); err != nil {
		return s.putBack(ctx, m, err)
	} else if skip != "" {
		dctx, cancel := detached(ctx)
		defer cancel()
		if err := s.Store.MarkSkipped(dctx, m.ID, skip); err != nil {
			return s.putBack(ctx, m, fmt.Errorf("skip sms %d: %w", m.ID, err))
		}
		s.Metrics.skipped(skip)
		return nil
	}
	// Again just before the hand-over: the turn may have been a while
	// coming, and a campaign stopped meanwhile must send nothing more.
	if stop, err := s.campaignStop(ctx, m); err != nil || stop {
		return err
	}
	// The hand-over is committed before the request leaves: from here on
	// a crash leaves a row that Twilio may hold, settled by looking it up;
	// before it, one that certainly never left, simply sent again.
	// The sender is recorded with the hand-over: a lost answer is looked
	// up under it, even if the salon's sender changes meanwhile.
	sender := turn.Sender
	if sender == "" {
		sender = s.DefaultSender
	}
	if err := s.Store.MarkHanded(ctx, m.ID, m.ClaimedAt, s.Clock.Now(), sender); err != nil {
		if errors.Is(err, outbox.ErrTransition) {
			return nil // the claim was taken over: the new holder sends
		}
		return s.putBack(ctx, m, fmt.Errorf("record hand-over of sms %d: %w", m.ID, err))
	}
	sid, err := s.Provider.Send(ctx, turn.Sender, m.To, m.Body, s.callbackURL(m.ID))
	// Whatever the provider answered is recorded even if the task's
	// context ends now (timeout, shutdown): an unrecorded answer would
	// leave the row to the reconciler, and an opt-out unrecorded.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err != nil {
		return s.failed(rctx, m, err)
	}
	if s.afterSend != nil {
		if err := s.afterSend(m.ID); err != nil {
			return err
		}
	}
	if err := s.Store.MarkSent(rctx, m.ID, sid, s.Clock.Now()); err != nil && !errors.Is(err, outbox.ErrTransition) {
		// Sent but not recorded: the row stays "sending" and the
		// reconciler finds the SID at Twilio. Never send again.
		return taskerr.Permanent(fmt.Sprintf("sms %d sent as %s but not recorded; the reconciler will", m.ID, sid), err)
	}
	return nil
}

// detached is a context for a write that must land even when the task's
// context has ended (shutdown, timeout): releases, skips, put-backs.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}

// callbackURL is the StatusCallback of row id.
func (s *Sender) callbackURL(id int64) string {
	if s.PublicBaseURL == "" {
		return ""
	}
	// PUBLIC_BASE_URL may end in a slash: "//webhooks/…" would be
	// redirected by the mux, and Twilio does not follow redirects.
	return strings.TrimRight(s.PublicBaseURL, "/") + "/webhooks/twilio/status?" + url.Values{"message_id": {strconv.FormatInt(id, 10)}}.Encode()
}

// putBack returns a claimed row to pending after an error, so the task's
// retry can claim it again. The cause may be the task's own context
// (shutdown, timeout), so the release does not use it: a row left
// "sending" would pass for a lost answer, and the reconciler would fail a
// review or campaign text that never left.
func (s *Sender) putBack(ctx context.Context, m outbox.Message, cause error) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := s.Store.Release(ctx, m.ID, "retry", s.Clock.Now()); err != nil {
		return errors.Join(cause, fmt.Errorf("release sms %d: %w", m.ID, err))
	}
	return cause
}

// failed records what the provider's error means for the row and the task.
func (s *Sender) failed(ctx context.Context, m outbox.Message, err error) error {
	var (
		perm    *twilio.PermanentError
		optout  *twilio.OptedOutError
		limited *twilio.RateLimitError
		unknown *twilio.UnknownOutcomeError
	)
	switch {
	case errors.As(err, &optout):
		if rerr := s.Store.MarkFailed(ctx, m.ID, optout.Code, optout.Message, s.Clock.Now()); rerr != nil {
			return fmt.Errorf("record sms %d failure: %w", m.ID, rerr)
		}
		salon := m.SalonID
		if oerr := s.Store.OptOut(ctx, m.To, &salon, outbox.SourceError21610, ""); oerr != nil {
			return fmt.Errorf("record opt-out of sms %d: %w", m.ID, oerr)
		}
		return taskerr.Permanent("recipient has opted out (21610)", err)
	case errors.As(err, &perm):
		if rerr := s.Store.MarkFailed(ctx, m.ID, perm.Code, perm.Message, s.Clock.Now()); rerr != nil {
			return fmt.Errorf("record sms %d failure: %w", m.ID, rerr)
		}
		return taskerr.Permanent(fmt.Sprintf("twilio refused sms %d (%d)", m.ID, perm.Code), err)
	case errors.As(err, &limited):
		if rerr := s.Store.Release(ctx, m.ID, outbox.WaitRateLimited, s.Clock.Now().Add(limited.RetryAfter)); rerr != nil {
			return fmt.Errorf("release sms %d: %w", m.ID, rerr)
		}
		return taskerr.RateLimited(limited.RetryAfter, err)
	case errors.As(err, &unknown):
		if rerr := s.Store.MarkUnknown(ctx, m.ID, err); rerr != nil {
			return fmt.Errorf("record unknown outcome of sms %d: %w", m.ID, rerr)
		}
		return taskerr.Permanent(fmt.Sprintf("outcome of sms %d unknown; left to the reconciler, not resent", m.ID), err)
	default:
		// Twilio certainly did not take it (refused connection, 401):
		// the row goes back to pending and the task retries.
		return s.putBack(ctx, m, fmt.Errorf("send sms %d: %w", m.ID, providerError{err}))
	}
}
