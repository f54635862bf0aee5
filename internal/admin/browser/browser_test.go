package browser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/admin"
	"github.com/salonworks/jobs/internal/admin/admintest"
	"github.com/salonworks/jobs/internal/testenv"
)

// TestDashboardInBrowser runs dashboard.test.mjs in headless Chromium
// against the real binary serving `jobs admin` over 10,000 seeded tasks,
// then checks from Redis that what the browser did really happened.
func TestDashboardInBrowser(t *testing.T) {
	if os.Getenv("DASHBOARD_BROWSER_TEST") == "" {
		t.Skip("needs Chromium and node_modules: run internal/admin/browser/run.sh")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	artifacts := os.Getenv("ARTIFACTS_DIR")
	if artifacts == "" {
		artifacts = filepath.Join(root, ".ci", "artifacts")
	}

	r := testenv.NewRedis(t)
	pg := testenv.NewPostgres(t)
	plan := admintest.TenThousand
	admintest.Seed(t, r.ConnOpt(), plan)
	sizes := map[string]int{}
	for q, p := range plan {
		sizes[q] = p.Total()
	}
	archived := admintest.TaskID("reports", "archived", 0)

	bin := buildJobs(t, root)
	users := map[string]string{"ops": "correct horse battery", "watcher": "staple viewer pass"}
	adminHash, err := admin.HashPassword([]byte(users["ops"]))
	if err != nil {
		t.Fatal(err)
	}
	viewerHash, err := admin.HashPassword([]byte(users["watcher"]))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	logs := startAdmin(t, bin, []string{
		"APP_ENV=test", "LOG_FORMAT=json", "HTTP_ADDR=" + addr, "REDIS_URL=" + r.URL(), "DATABASE_URL=" + pg.URL,
		"ADMIN_USERS=ops:admin:" + adminHash + ",watcher:viewer:" + viewerHash,
	})
	waitLive(t, "http://"+addr+"/health/live", logs)

	sizesJSON, _ := json.Marshal(sizes)
	node := exec.Command("node", "--test", "--test-reporter=tap", "dashboard.test.mjs")
	node.Env = append(os.Environ(),
		"DASHBOARD_URL=http://"+addr,
		"ADMIN_USER=ops", "ADMIN_PASSWORD="+users["ops"],
		"VIEWER_USER=watcher", "VIEWER_PASSWORD="+users["watcher"],
		"EXPECTED_SIZES="+string(sizesJSON),
		"ARCHIVED_TASK_ID="+archived,
		"ARTIFACTS_DIR="+artifacts,
	)
	node.Stdout, node.Stderr = os.Stdout, os.Stderr
	if err := node.Run(); err != nil {
		t.Errorf("node --test dashboard.test.mjs: %v", err)
	}

	insp := asynq.NewInspector(r.ConnOpt())
	defer insp.Close()
	if _, err := insp.GetTaskInfo("reports", archived); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("archived task %s after the browser deleted it: err = %v, want ErrTaskNotFound", archived, err)
	}
	for q := range plan {
		info, err := insp.GetQueueInfo(q)
		if err != nil {
			t.Fatal(err)
		}
		if info.Paused {
			t.Errorf("queue %s is paused after the test (resumed by the admin, untouched by the viewer)", q)
		}
	}
	if t.Failed() {
		t.Logf("jobs admin log:\n%s", logs.String())
	}
}

// buildJobs builds the jobs binary from the module at root.
func buildJobs(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "jobs")
	build := exec.Command("go", "build", "-o", bin, "./cmd/jobs")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build jobs: %v\n%s", err, out)
	}
	return bin
}

// logBuffer collects a process's output safely.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startAdmin runs `jobs admin` with exactly env (plus PATH) and stops it
// with SIGTERM when the test ends.
func startAdmin(t *testing.T, bin string, env []string) *logBuffer {
	t.Helper()
	logs := &logBuffer{}
	cmd := exec.Command(bin, "admin")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("jobs admin exit after SIGTERM: %v\n%s", err, logs.String())
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Errorf("jobs admin did not stop within 15 s of SIGTERM")
		}
	})
	return logs
}

func waitLive(t *testing.T, url string, logs *logBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200\n%s", url, logs.String())
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr())
}
