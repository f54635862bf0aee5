package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

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
	waitFor(t, "redis-server to listen", 10*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return cmd
}

// TestReadinessFollowsRedis: /health/ready is 200 with the JSON of
// docs/design.md (Health), turns 503 naming redis when Redis goes away, and 200 again
// once it is back.
func TestReadinessFollowsRedis(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)
	redisAddr := freeAddr(t)
	redisSrv := startRedis(t, redisAddr)
	env := map[string]string{
		"APP_ENV": "test", "DATABASE_URL": pg.URL, "REDIS_URL": "redis://" + redisAddr + "/0",
		"HTTP_ADDR": freeAddr(t), "SHUTDOWN_TIMEOUT": "3s",
	}
	w := start(t, env, "worker")
	ready := "http://" + env["HTTP_ADDR"] + "/health/ready"

	body := waitHTTP(t, ready, http.StatusOK, 20*time.Second)
	var rep struct {
		Status string `json:"status"`
		Checks map[string]struct {
			Status      string `json:"status"`
			Latency     string `json:"latency"`
			PendingJobs *int   `json:"pendingJobs"`
		} `json:"checks"`
		Version string `json:"version"`
		Uptime  string `json:"uptime"`
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("ready body %q: %v", body, err)
	}
	if rep.Status != "ok" || rep.Checks["database"].Status != "up" || rep.Checks["redis"].Status != "up" ||
		rep.Checks["database"].Latency == "" || rep.Checks["queue"].PendingJobs == nil || rep.Version == "" || rep.Uptime == "" {
		t.Errorf("ready report incomplete: %s", body)
	}
	waitHTTP(t, "http://"+env["HTTP_ADDR"]+"/health/live", http.StatusOK, time.Second)
	waitHTTP(t, "http://"+env["HTTP_ADDR"]+"/health/startup", http.StatusOK, time.Second)

	redisSrv.Process.Kill()
	redisSrv.Wait()
	body = waitHTTP(t, ready, http.StatusServiceUnavailable, 15*time.Second)
	if !strings.Contains(body, `"redis":{"status":"down"`) {
		t.Errorf("503 body does not say redis is down: %s", body)
	}
	waitHTTP(t, "http://"+env["HTTP_ADDR"]+"/health/live", http.StatusOK, time.Second)

	startRedis(t, redisAddr)
	waitHTTP(t, ready, http.StatusOK, 30*time.Second)
	if err := w.stop(t, 10*time.Second); err != nil {
		t.Fatalf("worker exit: %v", err)
	}
}
