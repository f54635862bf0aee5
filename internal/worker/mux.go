// Package worker runs the queue servers: one asynq server per queue so each
// queue's concurrency is exact, the kind → handler mux, the middleware that
// logs and measures every attempt, and the failure policy (permanent errors
// archived at once, rate limits rescheduled without spending a retry,
// unknown kinds archived with a reason).
package worker

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/taskerr"
)

// Mux routes a task to the handler registered for its exact kind. A task
// whose kind has no handler is archived at once: retrying cannot help it.
type Mux struct {
	handlers map[string]asynq.Handler
}

// NewMux returns a mux over handlers, keyed by kind.
func NewMux(handlers map[string]asynq.Handler) *Mux {
	m := &Mux{handlers: make(map[string]asynq.Handler, len(handlers))}
	for k, h := range handlers {
		m.handlers[k] = h
	}
	return m
}

// Kinds returns the number of kinds the mux handles.
func (m *Mux) Kinds() int { return len(m.handlers) }

// ProcessTask implements asynq.Handler.
func (m *Mux) ProcessTask(ctx context.Context, t *asynq.Task) error {
	h, ok := m.handlers[t.Type()]
	if !ok {
		return taskerr.Permanent(fmt.Sprintf("no handler for kind %q", t.Type()), nil)
	}
	return h.ProcessTask(ctx, t)
}

var _ asynq.Handler = (*Mux)(nil)
