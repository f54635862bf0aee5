// Package httpapi serves what every long-running process exposes on
// HTTP_ADDR: health probes and Prometheus metrics (and, in the admin
// process, the dashboard and webhooks).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/salonworks/jobs/internal/clock"
)

// Check states, as the platform's monitors read them.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// Health answers the three probes in the platform's shape (docs/design.md,
// "Health"):
//
//	{"status":"ok","checks":{"database":{"status":"ok","latency":3},…},"version":"1.2.3","uptime":3600}
//
// Latencies are whole milliseconds, the uptime whole seconds. A failing
// check has "status":"error" and a short "error"; then the whole answer
// has "status":"error" and HTTP 503. Nil checks are left out.
type Health struct {
	// Database pings Postgres.
	Database func(ctx context.Context) error
	// Redis pings Redis.
	Redis func(ctx context.Context) error
	// Pending counts pending tasks across the served queues.
	Pending func(ctx context.Context) (int, error)
	// IngestLag counts the jobs:ingest entries not yet delivered to the
	// ingest consumer group; nil when the process runs no bridge. Only an
	// error reading it fails the check: a lag does not make the process
	// unready.
	IngestLag func(ctx context.Context) (int64, error)
	// IngestAbandoned names the consumer groups left behind on jobs:ingest
	// (another name, silent, holding entries back from trimming); shown
	// in the ingest check, which it does not make unready.
	IngestAbandoned func(ctx context.Context) ([]string, error)
	// Startup reports whether the process finished starting: configuration
	// valid and every migration applied.
	Startup func(ctx context.Context) error
	// Version is the running build.
	Version string
	// Started is when the process started.
	Started time.Time
	// Timeout bounds each check; default 2 s.
	Timeout time.Duration
	// Clock is the time source of the uptime; nil is the wall clock.
	Clock clock.Clock
}

// Check is one dependency's state. Latency (pings) and PendingJobs or Lag
// (counts) are present only where they apply, and only when it succeeded.
type Check struct {
	Status      string `json:"status"`
	Latency     *int64 `json:"latency,omitempty"`
	PendingJobs *int   `json:"pendingJobs,omitempty"`
	Lag         *int64 `json:"lag,omitempty"`
	// AbandonedGroups are ingest consumer groups left behind; they pin the
	// stream's trimming until destroyed.
	AbandonedGroups []string `json:"abandonedGroups,omitempty"`
	Error           string   `json:"error,omitempty"`
}

// Report is the body of every probe; /health/live has no checks.
type Report struct {
	Status  string           `json:"status"`
	Checks  map[string]Check `json:"checks,omitempty"`
	Version string           `json:"version"`
	// Uptime is in whole seconds.
	Uptime int64 `json:"uptime"`
}

// Routes registers /health/live, /health/ready and /health/startup.
func (h *Health) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /health/live", func(w http.ResponseWriter, r *http.Request) {
		// Alive as long as it answers: the container's HEALTHCHECK must not
		// restart a process for a dependency's outage.
		writeJSON(w, http.StatusOK, h.report(false))
	})
	mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, r *http.Request) {
		rep := h.Ready(r.Context())
		writeJSON(w, statusCode(rep), rep)
	})
	mux.HandleFunc("GET /health/startup", func(w http.ResponseWriter, r *http.Request) {
		rep := h.started(r.Context())
		writeJSON(w, statusCode(rep), rep)
	})
}

func statusCode(rep Report) int {
	if rep.Status != StatusOK {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

// Ready runs the dependency checks concurrently.
func (h *Health) Ready(ctx context.Context) Report {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rep := h.report(true)
	var mu sync.Mutex
	var wg sync.WaitGroup
	run := func(name string, check func() Check) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := check()
			mu.Lock()
			defer mu.Unlock()
			rep.Checks[name] = res
			if res.Status != StatusOK {
				rep.Status = StatusError
			}
		}()
	}
	ping := func(name string, f func(context.Context) error) {
		if f == nil {
			return
		}
		run(name, func() Check {
			start := time.Now()
			if err := f(ctx); err != nil {
				return failed(ctx, err)
			}
			ms := time.Since(start).Milliseconds()
			return Check{Status: StatusOK, Latency: &ms}
		})
	}
	ping("database", h.Database)
	ping("redis", h.Redis)
	if h.Pending != nil {
		run("queue", func() Check {
			n, err := h.Pending(ctx)
			if err != nil {
				return failed(ctx, err)
			}
			return Check{Status: StatusOK, PendingJobs: &n}
		})
	}
	if h.IngestLag != nil {
		run("ingest", func() Check {
			n, err := h.IngestLag(ctx)
			if err != nil {
				return failed(ctx, err)
			}
			c := Check{Status: StatusOK, Lag: &n}
			if h.IngestAbandoned != nil {
				if names, err := h.IngestAbandoned(ctx); err == nil {
					c.AbandonedGroups = names
				}
			}
			return c
		})
	}
	wg.Wait()
	return rep
}

func (h *Health) started(ctx context.Context) Report {
	rep := h.report(true)
	if h.Startup == nil {
		return rep
	}
	res := Check{Status: StatusOK}
	if err := h.Startup(ctx); err != nil {
		// Our own message (migrations pending): whole, it says what to do.
		res = Check{Status: StatusError, Error: err.Error()}
		rep.Status = StatusError
	}
	rep.Checks["startup"] = res
	return rep
}

func (h *Health) report(checks bool) Report {
	rep := Report{
		Status:  StatusOK,
		Version: h.Version,
		Uptime:  int64(h.Clock.Now().Sub(h.Started) / time.Second),
	}
	if checks {
		rep.Checks = map[string]Check{}
	}
	return rep
}

// failed returns a failing check with a short reason: "timeout", or the
// innermost part of a driver's error ("connection refused"), which is what
// a monitor shows and which leaves out addresses and user names.
func failed(ctx context.Context, err error) Check {
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		msg = "timeout"
	case strings.Contains(msg, ": "):
		msg = msg[strings.LastIndex(msg, ": ")+2:]
	}
	const max = 120
	if len(msg) > max {
		msg = msg[:max]
	}
	return Check{Status: StatusError, Error: msg}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
