package worker

import "github.com/hibiken/asynq"

// HandleRaw registers fn for a made-up kind outside the catalogue, so the
// worker's own tests can exercise routing and the failure policy with
// handlers that fail on purpose. Production code has only Handle.
func HandleRaw(h *Handlers, kind string, fn asynq.Handler) { h.add(kind, fn) }
