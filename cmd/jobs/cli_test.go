package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/testenv"
)

// runBin runs the binary to completion with exactly env and returns its
// exit code, stdout and stderr.
func runBin(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	// Never nil: a nil Env would hand the child this process's whole
	// environment (make test exports DATABASE_URL and REDIS_URL).
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

func TestBadConfigurationStopsBeforeConnecting(t *testing.T) {
	t.Parallel()
	// Production with nothing set, and an unparsable timeout: one message
	// names every variable to fix, and nothing was dialled (the process
	// exits at once, with no connection error in its output).
	code, _, stderr := runBin(t, map[string]string{"SHUTDOWN_TIMEOUT": "soon", "REDIS_DB": "x"}, "worker")
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stderr %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 {
		t.Errorf("want one message, got %d lines:\n%s", len(lines), stderr)
	}
	for _, v := range []string{"DATABASE_", "REDIS_HOST", "REDIS_DB", "SHUTDOWN_TIMEOUT", "SMS_PROVIDER", "EMAIL_PROVIDER", "STORAGE"} {
		if !strings.Contains(stderr, v) {
			t.Errorf("message does not name %s: %s", v, stderr)
		}
	}
	for _, word := range []string{"dial", "connect to"} {
		if strings.Contains(stderr, word) {
			t.Errorf("message mentions %q: it tried to connect: %s", word, stderr)
		}
	}
}

func TestEnqueueCommand(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	env := map[string]string{"APP_ENV": "test", "REDIS_URL": r.URL()}
	insp := asynq.NewInspectorFromRedisClient(r.Client)

	code, stdout, stderr := runBin(t, env, "enqueue", "sync:daily_stats", "--payload", `{"date":"2026-11-20"}`, "--in", "1h")
	if code != 0 {
		t.Fatalf("valid enqueue exit %d: %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	info, err := insp.GetTaskInfo("sync", id)
	if err != nil {
		t.Fatalf("task %q not in the sync queue: %v", id, err)
	}
	if info.State != asynq.TaskStateScheduled || info.Type != "sync:daily_stats" || info.MaxRetry != 5 {
		t.Errorf("task = %s %s maxRetry %d, want scheduled sync:daily_stats with 5 retries", info.Type, info.State, info.MaxRetry)
	}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"invalid payload", []string{"enqueue", "sync:daily_stats", "--payload", `{"date":"yesterday"}`}, 1, "date"},
		{"unknown field", []string{"enqueue", "upload:process", "--payload", `{"upload_id":1,"x":2}`}, 1, `"x"`},
		{"unknown kind", []string{"enqueue", "sms:blast", "--payload", `{}`}, 1, `unknown kind "sms:blast"`},
		{"missing kind", []string{"enqueue"}, 2, "missing KIND"},
		{"duplicate id", []string{"enqueue", "sync:daily_stats", "--id", id}, 1, "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runBin(t, env, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d stderr %q, want exit %d mentioning %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			if stdout != "" {
				t.Errorf("printed a task ID on failure: %q", stdout)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runBin(t, nil, "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(stdout, c.name) {
			t.Errorf("--help does not list %s", c.name)
		}
		code, out, _ := runBin(t, nil, c.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: jobs "+c.name) {
			t.Errorf("jobs %s --help: exit %d, output %q", c.name, code, out)
		}
	}
}
