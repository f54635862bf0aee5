package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/testenv"
)

// probe serves h and returns the status code and decoded body of path.
func probe(t *testing.T, h *Health, path string) (int, map[string]any) {
	t.Helper()
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s Content-Type %q", path, ct)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s body %q: %v", path, raw, err)
	}
	return resp.StatusCode, body
}

// wholeMillis replaces every check's latency, after checking it is a
// whole number of milliseconds, by the marker "ms", so the rest of the
// answer can be compared exactly.
func wholeMillis(t *testing.T, body map[string]any) {
	t.Helper()
	checks, _ := body["checks"].(map[string]any)
	for name, c := range checks {
		c := c.(map[string]any)
		l, ok := c["latency"]
		if !ok {
			continue
		}
		f, isNum := l.(float64)
		if !isNum || f != math.Trunc(f) || f < 0 || f > 2000 {
			t.Errorf("%s latency %v is not whole milliseconds", name, l)
		}
		c["latency"] = "ms"
	}
}

// dependencies returns the real checks of a process: Postgres at url,
// the test's Redis, and its queue holding 12 pending tasks.
func dependencies(t *testing.T, url string) *Health {
	t.Helper()
	r := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(r.Client)
	for range 12 {
		if _, err := client.Enqueue(asynq.NewTask("sync:daily_stats", nil), asynq.Queue("sync")); err != nil {
			t.Fatal(err)
		}
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	started := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	return &Health{
		Database: pool.Ping,
		Redis:    func(ctx context.Context) error { return r.Client.Ping(ctx).Err() },
		Pending: func(ctx context.Context) (int, error) {
			info, err := insp.GetQueueInfo("sync")
			if err != nil {
				return 0, err
			}
			return info.Pending, nil
		},
		IngestLag: func(context.Context) (int64, error) { return 0, nil },
		Version:   "1.2.3",
		Started:   started,
		Clock:     clock.Fixed(started.Add(time.Hour + 400*time.Millisecond)),
	}
}

// TestReadyInThePlatformsShape compares /health/ready field by field with
// the answer the platform's monitors parse.
func TestReadyInThePlatformsShape(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)
	code, body := probe(t, dependencies(t, pg.URL), "/health/ready")
	if code != http.StatusOK {
		t.Errorf("status %d, want 200", code)
	}
	wholeMillis(t, body)
	want := map[string]any{
		"status": "ok",
		"checks": map[string]any{
			"database": map[string]any{"status": "ok", "latency": "ms"},
			"redis":    map[string]any{"status": "ok", "latency": "ms"},
			"queue":    map[string]any{"status": "ok", "pendingJobs": 12.0},
			"ingest":   map[string]any{"status": "ok", "lag": 0.0},
		},
		"version": "1.2.3",
		"uptime":  3600.0,
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("/health/ready (-want +got):\n%s", diff)
	}
}

// TestReadyWithPostgresUnreachable points the database check at a port
// nobody listens on: 503, "status":"error" at the top and on the database
// with a short reason, the other checks still answering.
func TestReadyWithPostgresUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	code, body := probe(t, dependencies(t, "postgres://jobs:pw@"+closed+"/jobs?connect_timeout=1"), "/health/ready")
	if code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", code)
	}
	wholeMillis(t, body)
	want := map[string]any{
		"status": "error",
		"checks": map[string]any{
			"database": map[string]any{"status": "error", "error": "connection refused"},
			"redis":    map[string]any{"status": "ok", "latency": "ms"},
			"queue":    map[string]any{"status": "ok", "pendingJobs": 12.0},
			"ingest":   map[string]any{"status": "ok", "lag": 0.0},
		},
		"version": "1.2.3",
		"uptime":  3600.0,
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("/health/ready (-want +got):\n%s", diff)
	}
}

// TestLiveAndStartupShape: the same top-level fields; live has no checks
// and answers 200 whatever the dependencies; startup reports the
// migrations as a check.
func TestLiveAndStartupShape(t *testing.T) {
	t.Parallel()
	started := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	pending := errorString("2 migrations not applied: run jobs migrate")
	h := &Health{
		Database: func(context.Context) error { return errorString("down") },
		Startup:  func(context.Context) error { return pending },
		Version:  "1.2.3", Started: started, Clock: clock.Fixed(started.Add(90 * time.Second)),
	}
	code, body := probe(t, h, "/health/live")
	if diff := cmp.Diff(map[string]any{"status": "ok", "version": "1.2.3", "uptime": 90.0}, body); code != http.StatusOK || diff != "" {
		t.Errorf("/health/live: status %d (-want +got):\n%s", code, diff)
	}
	code, body = probe(t, h, "/health/startup")
	want := map[string]any{
		"status":  "error",
		"checks":  map[string]any{"startup": map[string]any{"status": "error", "error": string(pending)}},
		"version": "1.2.3", "uptime": 90.0,
	}
	if diff := cmp.Diff(want, body); code != http.StatusServiceUnavailable || diff != "" {
		t.Errorf("/health/startup: status %d (-want +got):\n%s", code, diff)
	}
	h.Startup = func(context.Context) error { return nil }
	code, body = probe(t, h, "/health/startup")
	want["status"] = "ok"
	want["checks"] = map[string]any{"startup": map[string]any{"status": "ok"}}
	if diff := cmp.Diff(want, body); code != http.StatusOK || diff != "" {
		t.Errorf("/health/startup when started: status %d (-want +got):\n%s", code, diff)
	}
}

// TestReadyTimesOut: a check that hangs is cut at Timeout and reported as
// a timeout, not left to hang the probe.
func TestReadyTimesOut(t *testing.T) {
	t.Parallel()
	h := &Health{
		Redis:   func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
		Version: "1.2.3", Started: time.Now(), Timeout: 50 * time.Millisecond,
	}
	rep := h.Ready(context.Background())
	if diff := cmp.Diff(Check{Status: StatusError, Error: "timeout"}, rep.Checks["redis"]); rep.Status != StatusError || diff != "" {
		t.Errorf("status %q, redis (-want +got):\n%s", rep.Status, diff)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
