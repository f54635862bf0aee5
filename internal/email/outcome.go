package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/queues"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

// recordTimeout bounds a store write after the provider's answer. It runs
// on a context of its own: the task's may be the very thing that expired,
// and the answer must be recorded all the same.
const recordTimeout = 5 * time.Second

func record(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// sent records the provider's acceptance. A row that cannot be recorded as
// sent is left in sending, so that no later attempt sends it again.
func (s *Sender) sent(ctx context.Context, m outbox.Message, providerID string) error {
	s.count("sent", "")
	var err error
	for i := range 3 {
		rctx, cancel := record(ctx)
		err = s.Store.MarkSent(rctx, m.ID, providerID, s.Clock.Now())
		cancel()
		if err == nil || errors.Is(err, outbox.ErrTransition) {
			break
		}
		time.Sleep(time.Duration(i+1) * 100 * time.Millisecond)
	}
	if err != nil {
		return taskerr.Permanent(fmt.Sprintf("email %d sent as %s but not recorded; it is not sent again", m.ID, providerID), err)
	}
	return nil
}

// failed records what the provider's error means for the row, and returns
// what it means for the task.
func (s *Sender) failed(ctx context.Context, m outbox.Message, sendErr error) error {
	class, code := ClassOf(sendErr)
	s.count(class.String(), code)
	err := redact.Error(sendErr)
	rctx, cancel := record(ctx)
	defer cancel()
	var rerr error
	switch class {
	case ClassRateLimited:
		rerr = s.Store.Postpone(rctx, m.ID, err.Error())
		if rerr == nil {
			return taskerr.RateLimited(s.throttleDelay(), err)
		}
	case ClassPaused:
		rerr = s.Store.Postpone(rctx, m.ID, err.Error())
		s.pause(ctx, m, code)
		if rerr == nil {
			return taskerr.RateLimited(or(s.PausedDelay, DefaultPausedDelay), err)
		}
	case ClassRejected:
		rerr = s.Store.MarkFailed(rctx, m.ID, err.Error())
		if rerr == nil {
			return taskerr.Permanent(fmt.Sprintf("%s refused email %d (%s)", s.Provider.Name(), m.ID, code), err)
		}
	case ClassNotSent:
		return s.release(ctx, m, err)
	default:
		rerr = s.Store.MarkUnknown(rctx, m.ID, err)
		s.logger().ErrorContext(ctx, "email outcome unknown: marked failed and not resent; check with the recipient or the provider before resending by hand",
			"email_id", m.ID, "template", m.Template, "to", redact.Email(m.To), "provider", s.Provider.Name(), "error", err.Error())
		if rerr == nil {
			return taskerr.Permanent(fmt.Sprintf("outcome of email %d unknown; marked failed, not resent", m.ID), err)
		}
	}
	return errors.Join(fmt.Errorf("send email %d: %w", m.ID, err), fmt.Errorf("record email %d: %w", m.ID, rerr))
}

// release puts a row the provider certainly did not take back to pending,
// and returns cause for an ordinary retry.
func (s *Sender) release(ctx context.Context, m outbox.Message, cause error) error {
	rctx, cancel := record(ctx)
	defer cancel()
	if err := s.Store.Release(rctx, m.ID, cause.Error()); err != nil {
		return errors.Join(fmt.Errorf("send email %d: %w", m.ID, cause), fmt.Errorf("release email %d: %w", m.ID, err))
	}
	return fmt.Errorf("send email %d: %w", m.ID, cause)
}

// inFlight handles a row another attempt claimed: a duplicate task running
// now, or a retry after a worker died mid-send. A claim younger than the
// lease is waited for. An older one that never reached the provider is
// put back and sent now; one handed to the provider is failed as unknown,
// never resent.
func (s *Sender) inFlight(ctx context.Context, p taskemail.SendPayload, m outbox.Message) error {
	expiry, remaining, err := s.Store.ExpireSending(ctx, m.ID, or(s.Lease, DefaultLease))
	switch {
	case errors.Is(err, outbox.ErrTransition):
		// The other attempt finished meanwhile; look again.
		return taskerr.RateLimited(time.Second, fmt.Errorf("email %d changed state", m.ID))
	case err != nil:
		return fmt.Errorf("check claim of email %d: %w", m.ID, err)
	case expiry == outbox.ExpiryReleased:
		// Its worker died before calling the provider: nothing left, so
		// this attempt sends it.
		m, err := s.Store.Get(ctx, m.ID)
		if err != nil {
			return fmt.Errorf("email %d: %w", m.ID, err)
		}
		if m.Status == outbox.StatusSending {
			return taskerr.RateLimited(time.Second, fmt.Errorf("email %d was claimed again meanwhile", m.ID))
		}
		return s.process(ctx, p, m)
	case expiry == outbox.ExpiryFailed:
		s.count("unknown", "lost")
		s.logger().ErrorContext(ctx, "email outcome unknown: its worker was lost after handing it to the provider; marked failed and not resent",
			"email_id", m.ID, "template", m.Template, "to", redact.Email(m.To))
		return taskerr.Permanent(fmt.Sprintf("email %d was handed to the provider by an attempt that never finished; outcome unknown, not resent", m.ID), nil)
	}
	s.count("in_flight", "")
	return taskerr.RateLimited(remaining+time.Second, fmt.Errorf("email %d is being sent by another attempt", m.ID))
}

// pause stops the emails queue after the provider said it sends nothing,
// so that the backlog waits instead of burning every email's retries.
func (s *Sender) pause(ctx context.Context, m outbox.Message, code string) {
	if s.Metrics != nil {
		s.Metrics.SendingPaused.WithLabelValues(code).Inc()
	}
	queue := or(s.Queue, queues.Emails)
	err := errors.New("no pauser configured")
	if s.Pauser != nil {
		err = s.Pauser.PauseQueue(queue)
	}
	attrs := []any{"provider", s.Provider.Name(), "code", code, "queue", queue, "email_id", m.ID}
	switch {
	case err == nil:
		s.logger().ErrorContext(ctx, "email provider sends nothing ("+code+"): queue paused; fix the account, then resume the queue on /admin/queues", attrs...)
	case strings.Contains(err.Error(), "already paused"):
		// Another attempt paused it and said so.
	default:
		s.logger().ErrorContext(ctx, "email provider sends nothing ("+code+") and the queue could not be paused", append(attrs, "error", err.Error())...)
	}
}

func (s *Sender) count(outcome, code string) {
	if s.Metrics != nil {
		s.Metrics.Sends.WithLabelValues(s.Provider.Name(), outcome, code).Inc()
	}
}

func (s *Sender) throttleDelay() time.Duration {
	d := or(s.ThrottleDelay, DefaultThrottleDelay)
	return d + rand.N(d+1)
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// or returns v, or def when v is the zero value.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
