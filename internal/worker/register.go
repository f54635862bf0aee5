package worker

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/tasks"
)

// Handlers is the one table of kind → handler a worker serves. Fill it with
// Handle only: every entry is then a kind of the catalogue whose payload
// the worker decodes before the handler runs, and a kind registered twice
// panics at start, so a wiring mistake never silently replaces a handler.
// The zero value is an empty table.
type Handlers struct {
	m map[string]asynq.Handler
}

// NewHandlers returns an empty table.
func NewHandlers() *Handlers { return &Handlers{} }

// Kinds returns the registered kinds, sorted.
func (h *Handlers) Kinds() []string { return slices.Sorted(maps.Keys(h.m)) }

// Lookup returns the handler of kind.
func (h *Handlers) Lookup(kind string) (asynq.Handler, bool) {
	x, ok := h.m[kind]
	return x, ok
}

// add puts fn in the table under kind; a kind already there is a wiring
// mistake.
func (h *Handlers) add(kind string, fn asynq.Handler) {
	if _, dup := h.m[kind]; dup {
		panic(fmt.Sprintf("worker: kind %q registered twice", kind))
	}
	if h.m == nil {
		h.m = make(map[string]asynq.Handler)
	}
	h.m[kind] = fn
}

// HandlerFunc handles one attempt of a task whose payload was decoded and
// validated into p with the producers' own strict decoder (tasks.Decode).
// The task gives access to its ID, raw payload and result writer.
type HandlerFunc[P any] func(ctx context.Context, t *asynq.Task, p *P) error

// Handle registers fn for kind. It panics when fn is nil, when kind is not
// in the catalogue, when the catalogue's payload for kind is not a *P, or
// when kind is already registered: all are wiring mistakes to stop at
// start. A payload that does not decode is archived at once with the
// decoder's reason, without calling fn: retrying cannot fix it.
func Handle[P any](h *Handlers, kind string, fn HandlerFunc[P]) {
	if fn == nil {
		panic(fmt.Sprintf("worker: register %q: nil handler", kind))
	}
	k, ok := tasks.Lookup(kind)
	if !ok {
		panic(fmt.Sprintf("worker: register %q: not a kind of the catalogue", kind))
	}
	if _, ok := any(k.New()).(*P); !ok {
		panic(fmt.Sprintf("worker: register %q: handler takes *%T, the catalogue decodes %T", kind, *new(P), k.New()))
	}
	h.add(kind, asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		p, err := tasks.Decode(t.Type(), t.Payload())
		if err != nil {
			return taskerr.Permanent("invalid "+t.Type()+" payload", redact.Error(err)) // payloads hold recipients
		}
		return fn(ctx, t, any(p).(*P))
	}))
}
