// Package httpapi serves what every long-running process exposes on
// HTTP_ADDR: health probes and Prometheus metrics (and, in the admin
// process, the dashboard and webhooks).
package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Health answers the three probes. Nil checks are left out of the answer.
type Health struct {
	// Database pings Postgres.
	Database func(ctx context.Context) error
	// Redis pings Redis.
	Redis func(ctx context.Context) error
	// Pending counts pending tasks across the served queues.
	Pending func(ctx context.Context) (int, error)
	// IngestLag counts the jobs:ingest entries not yet delivered to the
	// ingest consumer group; nil when the process runs no bridge. It is
	// informational: a lag does not make the process unready.
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
}

// CheckResult is one dependency's state in /health/ready.
type CheckResult struct {
	Status      string `json:"status"`
	Latency     string `json:"latency,omitempty"`
	PendingJobs *int   `json:"pendingJobs,omitempty"`
	Lag         *int64 `json:"lag,omitempty"`
	// AbandonedGroups are ingest consumer groups left behind; they pin the
	// stream's trimming until destroyed.
	AbandonedGroups []string `json:"abandonedGroups,omitempty"`
	Error           string   `json:"error,omitempty"`
}

// Report is the body of /health/ready and /health/startup.
type Report struct {
	Status  string                 `json:"status"`
	Checks  map[string]CheckResult `json:"checks"`
	Version string                 `json:"version"`
	Uptime  string                 `json:"uptime"`
}

// Routes registers /health/live, /health/ready and /health/startup.
func (h *Health) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /health/live", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": h.Version})
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
	if rep.Status != "ok" {
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
	rep := h.report()
	var mu sync.Mutex
	var wg sync.WaitGroup
	set := func(name string, res CheckResult) {
		mu.Lock()
		defer mu.Unlock()
		rep.Checks[name] = res
		if res.Status != "up" {
			rep.Status = "error"
		}
	}
	ping := func(name string, f func(context.Context) error) {
		if f == nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			err := f(ctx)
			res := CheckResult{Status: "up", Latency: time.Since(start).Round(time.Microsecond).String()}
			if err != nil {
				res.Status, res.Error = "down", err.Error()
			}
			set(name, res)
		}()
	}
	ping("database", h.Database)
	ping("redis", h.Redis)
	if h.Pending != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := h.Pending(ctx)
			res := CheckResult{Status: "up", PendingJobs: &n}
			if err != nil {
				res = CheckResult{Status: "down", Error: err.Error()}
			}
			set("queue", res)
		}()
	}
	if h.IngestLag != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := h.IngestLag(ctx)
			res := CheckResult{Status: "up", Lag: &n}
			if err != nil {
				res = CheckResult{Status: "down", Error: err.Error()}
			} else if h.IngestAbandoned != nil {
				if names, aerr := h.IngestAbandoned(ctx); aerr == nil {
					res.AbandonedGroups = names
				}
			}
			set("ingest", res)
		}()
	}
	wg.Wait()
	return rep
}

func (h *Health) started(ctx context.Context) Report {
	rep := h.report()
	if h.Startup == nil {
		return rep
	}
	res := CheckResult{Status: "up"}
	if err := h.Startup(ctx); err != nil {
		res = CheckResult{Status: "down", Error: err.Error()}
		rep.Status = "error"
	}
	rep.Checks["startup"] = res
	return rep
}

func (h *Health) report() Report {
	return Report{
		Status:  "ok",
		Checks:  map[string]CheckResult{},
		Version: h.Version,
		Uptime:  time.Since(h.Started).Round(time.Second).String(),
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
