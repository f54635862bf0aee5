package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/internal/taskerr"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

// Default timings of a Sender.
const (
	// DefaultLease is how long a row may stay in sending before another
	// attempt treats its worker as gone: far beyond the emails queue's
	// 30 s task timeout, so a live worker is never second-guessed.
	DefaultLease = 2 * time.Minute
	// DefaultThrottleDelay is the least wait after SES throttling; up to
	// as much again is added at random so throttled tasks spread out.
	DefaultThrottleDelay = 2 * time.Second
	// DefaultPausedDelay is how long a task waits after the provider said
	// it sends nothing. The queue is paused meanwhile, so the task only
	// runs again once an operator has resumed the queue.
	DefaultPausedDelay = 15 * time.Minute
)

// Pauser pauses a queue; *asynq.Inspector is one.
type Pauser interface {
	PauseQueue(queue string) error
}

// Sender handles email:send: it stores the email in the outbox under its
// idempotency key, skips suppressed recipients, renders the template,
// claims the row and hands the email to the provider, at most once (see
// the package documentation). Store, Provider and Renderer are required.
type Sender struct {
	Store    *outbox.Store
	Provider Provider
	Renderer *Renderer
	// Pauser pauses the emails queue when the provider refuses every
	// email (sending paused, account suspended); nil only logs.
	Pauser Pauser
	// Queue is the queue Pauser pauses; "" is queues.Emails.
	Queue string
	// Metrics counts outcomes; nil counts nothing.
	Metrics *Metrics
	// Logger receives the two lines operators must see (queue paused,
	// outcome unknown); nil discards them. Bodies are never logged.
	Logger *slog.Logger
	// Clock stamps sent_at; nil is the wall clock.
	Clock clock.Clock
	// From is the sender (EMAIL_FROM), as FormatFrom returns it.
	From string
	// Lease, ThrottleDelay and PausedDelay override the defaults.
	Lease         time.Duration
	ThrottleDelay time.Duration
	PausedDelay   time.Duration
}

// Send handles one email:send task, its payload decoded and validated by
// the worker (the recipient re-checked there, whatever the producer did).
func (s *Sender) Send(ctx context.Context, _ *asynq.Task, p *taskemail.SendPayload) error {
	m, _, err := s.Store.Create(ctx, IdempotencyKey(*p), p.Template, p.To)
	switch {
	case errors.Is(err, outbox.ErrKeyReused), errors.Is(err, outbox.ErrInvalid):
		s.count("invalid", "")
		return taskerr.Permanent("email refused by the outbox", redact.Error(err))
	case err != nil:
		return fmt.Errorf("store email: %w", err)
	}
	return s.process(ctx, *p, m)
}

// process takes the row m of payload p from wherever it stands.
func (s *Sender) process(ctx context.Context, p taskemail.SendPayload, m outbox.Message) error {
	switch m.Status {
	case outbox.StatusSent, outbox.StatusDelivered, outbox.StatusBounced, outbox.StatusComplained, outbox.StatusSkipped:
		// A retry after the provider accepted it (and maybe reported on
		// it since), or a duplicate task: the email is done and is not
		// sent again.
		s.count("duplicate", "")
		return nil
	case outbox.StatusFailed:
		s.count("duplicate", "")
		return taskerr.Permanent(fmt.Sprintf("email %d already failed, not sent again: %s", m.ID, redact.Text(m.Error)), nil)
	case outbox.StatusSending:
		return s.inFlight(ctx, p, m)
	}
	if reason, suppressed, err := s.Store.Suppression(ctx, p.To); err != nil {
		return fmt.Errorf("email %d: %w", m.ID, err)
	} else if suppressed {
		rctx, cancel := record(ctx)
		defer cancel()
		if err := s.Store.MarkSkipped(rctx, m.ID, outbox.SkipSuppressed); err != nil && !errors.Is(err, outbox.ErrTransition) {
			return fmt.Errorf("skip email %d: %w", m.ID, err)
		}
		s.count("suppressed", reason)
		return nil
	}
	msg, err := s.message(p, m.ID)
	if err != nil {
		if ferr := s.Store.MarkFailed(ctx, m.ID, err.Error()); ferr != nil && !errors.Is(ferr, outbox.ErrTransition) {
			return fmt.Errorf("record email %d failure: %w", m.ID, ferr)
		}
		s.count("invalid", "")
		return taskerr.Permanent(fmt.Sprintf("email %d cannot be sent", m.ID), err)
	}
	if m, err = s.Store.Claim(ctx, m.ID); errors.Is(err, outbox.ErrNotClaimable) {
		// A duplicate task claimed it a moment ago; its own attempt (or
		// that attempt's retry) finishes the row.
		s.count("duplicate", "")
		return nil
	} else if err != nil {
		return fmt.Errorf("claim email: %w", err)
	}
	if err := ctx.Err(); err != nil {
		// Shutdown or timeout before the call: certainly not sent.
		return s.release(ctx, m, err)
	}
	// The hand-over is committed before the request leaves: a worker lost
	// before it sent nothing, and its email is sent again, not written off.
	if err := s.Store.MarkHanded(ctx, m.ID); err != nil {
		return s.release(ctx, m, fmt.Errorf("record hand-over: %w", err))
	}
	id, err := s.Provider.Send(ctx, msg)
	if err != nil {
		return s.failed(ctx, m, err)
	}
	return s.sent(ctx, m, id)
}

// message renders p into the email row id sends, and checks its headers.
func (s *Sender) message(p taskemail.SendPayload, id int64) (Message, error) {
	r, err := s.Renderer.Render(p.Template, p.Data)
	if err != nil {
		return Message{}, err
	}
	msg := Message{ID: id, Template: p.Template, From: s.From, To: p.To, Subject: r.Subject, HTML: r.HTML, Text: r.Text}
	if err := msg.Check(); err != nil {
		return Message{}, err
	}
	return msg, nil
}
