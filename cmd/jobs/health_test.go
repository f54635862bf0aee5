package main

import (
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/internal/testenv"
)

// startRedis runs a redis-server of the test's own on addr, so the test can
// take it away without disturbing anyone else's.
func startRedis(t *testing.T, addr string) *exec.Cmd {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	testenv.WaitFor(t, 10*time.Second, "redis-server to listen", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return cmd
}

// pgProxy forwards TCP connections to Postgres until stopped, so a test can
// take Postgres away from one process without stopping the shared server.
type pgProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// newPGProxy returns a proxy to the host of rawURL and rawURL rewritten to
// go through it.
func newPGProxy(t *testing.T, rawURL string) (*pgProxy, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln}
	t.Cleanup(p.stop)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	u.Host = ln.Addr().String()
	return p, u.String()
}

// stop closes the listener and every forwarded connection: Postgres is
// gone for whoever used the proxy.
func (p *pgProxy) stop() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// readyBody decodes a /health/ready answer, checking that every latency
// is whole milliseconds and replacing it by "ms" so the rest compares
// exactly.
func readyBody(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("ready body %q: %v", body, err)
	}
	checks, _ := m["checks"].(map[string]any)
	for name, c := range checks {
		c, _ := c.(map[string]any)
		if l, ok := c["latency"]; ok {
			if f, isNum := l.(float64); !isNum || f != math.Trunc(f) || f < 0 {
				t.Errorf("%s latency %v is not whole milliseconds", name, l)
			}
			c["latency"] = "ms"
		}
	}
	if u, ok := m["uptime"].(float64); !ok || u != math.Trunc(u) || u < 0 {
		t.Errorf("uptime %v is not whole seconds", m["uptime"])
	}
	m["uptime"] = "s"
	if v, _ := m["version"].(string); v == "" {
		t.Errorf("no version in %s", body)
	}
	m["version"] = "v"
	return m
}

// TestReadinessFollowsDependencies runs a worker and compares /health/ready
// field by field with the platform's shape: healthy; with Postgres taken
// away (503, "status":"error" on the database); with Redis gone too; and
// healthy again once Redis is back, with live answering 200 throughout.
func TestReadinessFollowsDependencies(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)
	proxy, dbURL := newPGProxy(t, pg.URL)
	redisAddr := testenv.FreeAddr(t)
	redisSrv := startRedis(t, redisAddr)
	env := map[string]string{
		"APP_ENV": "test", "DATABASE_URL": dbURL, "REDIS_URL": "redis://" + redisAddr + "/0",
		"HTTP_ADDR": testenv.FreeAddr(t), "SHUTDOWN_TIMEOUT": "3s",
	}
	w := start(t, env, "worker")
	base := "http://" + env["HTTP_ADDR"]
	ready := base + "/health/ready"
	check := func(status string, checks map[string]any, body string) {
		t.Helper()
		want := map[string]any{"status": status, "checks": checks, "version": "v", "uptime": "s"}
		if diff := cmp.Diff(want, readyBody(t, body)); diff != "" {
			t.Errorf("/health/ready (-want +got):\n%s", diff)
		}
	}
	ok := map[string]any{"status": "ok", "latency": "ms"}
	queue := map[string]any{"status": "ok", "pendingJobs": 0.0}
	ingest := map[string]any{"status": "ok", "lag": 0.0}

	body := waitHTTP(t, ready, http.StatusOK, 20*time.Second)
	check("ok", map[string]any{"database": ok, "redis": ok, "queue": queue, "ingest": ingest}, body)
	waitHTTP(t, base+"/health/startup", http.StatusOK, time.Second)

	proxy.stop()
	// The first ping may still find a pooled connection, cut ("unexpected
	// EOF"); from the next, every dial is refused.
	testenv.WaitFor(t, 15*time.Second, "postgres refused", func() bool {
		return strings.Contains(waitHTTP(t, ready, http.StatusServiceUnavailable, 15*time.Second), "connection refused")
	})
	body = waitHTTP(t, ready, http.StatusServiceUnavailable, time.Second)
	check("error", map[string]any{
		"database": map[string]any{"status": "error", "error": "connection refused"},
		"redis":    ok, "queue": queue, "ingest": ingest,
	}, body)
	waitHTTP(t, base+"/health/live", http.StatusOK, time.Second)

	redisSrv.Process.Kill()
	redisSrv.Wait()
	body = waitHTTP(t, ready, http.StatusServiceUnavailable, 15*time.Second)
	if !strings.Contains(body, `"redis":{"status":"error","error":"`) {
		t.Errorf("503 body does not say redis failed: %s", body)
	}
	waitHTTP(t, base+"/health/live", http.StatusOK, time.Second)

	startRedis(t, redisAddr)
	testenv.WaitFor(t, 30*time.Second, "redis ok again", func() bool {
		resp, err := http.Get(ready)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `"redis":{"status":"ok"`)
	})
	if err := w.Stop(t, 10*time.Second); err != nil {
		t.Fatalf("worker exit: %v", err)
	}
}
