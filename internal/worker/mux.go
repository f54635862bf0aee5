// Package worker runs the queue servers: for each queue, one asynq server
// per fetch loop (queues.Queue.Loops), the loops sharing the queue's
// concurrency so it stays exact; the kind → handler mux, the middleware that
// logs and measures every attempt, and the failure policy (permanent errors
// archived at once, rate limits rescheduled without spending a retry,
// unknown kinds archived with a reason).
package worker

import (
	"context"
	"fmt"
	"maps"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/taskerr"
)

// Mux routes a task to the handler registered for its exact kind. A task
// whose kind has no handler is archived at once: retrying cannot help it.
type Mux struct {
	handlers map[string]asynq.Handler
}

// NewMux returns a mux over the table as it is now: registering in h
// afterwards does not change what the mux routes, so a running worker's
// table cannot change under it.
func NewMux(h *Handlers) *Mux {
	return &Mux{handlers: maps.Clone(h.m)}
}

// ProcessTask implements asynq.Handler.
func (m *Mux) ProcessTask(ctx context.Context, t *asynq.Task) error {
	h, ok := m.handlers[t.Type()]
	if !ok {
		return taskerr.Permanent(fmt.Sprintf("no handler for kind %q", t.Type()), nil)
	}
	return h.ProcessTask(ctx, t)
}

var _ asynq.Handler = (*Mux)(nil)
