package main

import (
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/salonworks/jobs/internal/testenv"
)

// TestEachCommandRunsOnItsOwnVariables runs every command in production
// (APP_ENV unset) with only the variables it uses: it starts and answers
// /health/ready, or does its one-shot job; without any one of its required
// variables it exits 1 with one message naming that variable.
func TestEachCommandRunsOnItsOwnVariables(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	pg := testenv.NewPostgres(t)
	empty := testenv.NewEmptyPostgres(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		// required are the variables whose absence must stop the command;
		// the others in env are there for the test (a free port).
		required []string
		// long-running commands are checked through /health/ready.
		serves bool
		// stdout is what a one-shot command prints on success.
		stdout string
		// webhook is the answer to an unsigned Twilio callback, for admin.
		webhook int
	}{
		{
			name: "migrate", args: []string{"migrate"},
			env:      map[string]string{"DATABASE_URL": empty.URL},
			required: []string{"DATABASE_URL"}, stdout: "applied 00001_",
		},
		{
			name: "seed", args: []string{"seed"},
			env:      map[string]string{"DATABASE_URL": pg.URL},
			required: []string{"DATABASE_URL"}, stdout: "salon",
		},
		{
			name: "enqueue", args: []string{"enqueue", "sync:daily_stats", "--payload", `{"date":"2026-11-20"}`},
			env:      map[string]string{"REDIS_URL": r.URL()},
			required: []string{"REDIS_URL"},
		},
		{
			name: "scheduler", args: []string{"scheduler"},
			env:      map[string]string{"REDIS_URL": r.URL(), "HTTP_ADDR": testenv.FreeAddr(t)},
			required: []string{"REDIS_URL"}, serves: true,
		},
		{
			name: "admin", args: []string{"admin"},
			env: map[string]string{
				"REDIS_URL": r.URL(), "DATABASE_URL": pg.URL, "HTTP_ADDR": testenv.FreeAddr(t),
				"ADMIN_USERS":  "ops:admin:" + string(hash),
				"SMS_PROVIDER": "twilio", "TWILIO_AUTH_TOKEN": "tw1l10t0ken", "PUBLIC_BASE_URL": "https://jobs.example.com",
			},
			required: []string{"REDIS_URL", "DATABASE_URL", "ADMIN_USERS", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL"}, serves: true,
			webhook: http.StatusForbidden, // served, and the signature checked
		},
		{
			name: "admin without twilio", args: []string{"admin"},
			env: map[string]string{
				"REDIS_URL": r.URL(), "DATABASE_URL": pg.URL, "HTTP_ADDR": testenv.FreeAddr(t),
				"ADMIN_USERS": "ops:admin:" + string(hash),
			},
			required: []string{"REDIS_URL", "DATABASE_URL", "ADMIN_USERS"}, serves: true,
			webhook: http.StatusNotFound,
		},
		{
			name: "worker", args: []string{"worker"},
			env: map[string]string{
				"REDIS_URL": r.URL(), "DATABASE_URL": pg.URL, "HTTP_ADDR": testenv.FreeAddr(t),
				"SMS_PROVIDER": "log", "EMAIL_PROVIDER": "log", "STORAGE": "local", "ALLOW_LOG_PROVIDERS": "true",
				"LOCAL_STORAGE_DIR": t.TempDir(),
			},
			required: []string{"REDIS_URL", "DATABASE_URL", "SMS_PROVIDER", "EMAIL_PROVIDER", "STORAGE", "ALLOW_LOG_PROVIDERS"}, serves: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, name := range tt.required {
				env := maps.Clone(tt.env)
				delete(env, name)
				code, stdout, stderr := runBin(t, env, tt.args...)
				if code != 1 || !strings.Contains(stderr, name) || strings.Count(stderr, "invalid configuration") != 1 {
					t.Errorf("without %s: exit %d, stderr %q; want 1 and one message naming it", name, code, stderr)
				}
				if stdout != "" {
					t.Errorf("without %s: printed %q", name, stdout)
				}
			}
			if !tt.serves {
				code, stdout, stderr := runBin(t, tt.env, tt.args...)
				if code != 0 || !strings.Contains(stdout, tt.stdout) {
					t.Fatalf("exit %d, stdout %q, want 0 and %q; stderr %s", code, stdout, tt.stdout, stderr)
				}
				return
			}
			p := start(t, tt.env, tt.args...)
			base := "http://" + tt.env["HTTP_ADDR"]
			waitHTTP(t, base+"/health/ready", http.StatusOK, 20*time.Second)
			if tt.webhook != 0 {
				resp, err := http.Post(base+"/webhooks/twilio/status", "application/x-www-form-urlencoded", strings.NewReader("MessageSid=SM1&MessageStatus=delivered"))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.webhook {
					t.Errorf("unsigned Twilio callback: %d, want %d", resp.StatusCode, tt.webhook)
				}
			}
			if err := p.Stop(t, 15*time.Second); err != nil {
				t.Errorf("exit after SIGTERM: %v", err)
			}
		})
	}
}

// TestMigrateWithOnlyTheDatabase: the migrations really are applied, and
// `jobs migrate status` says so, with DATABASE_URL alone.
func TestMigrateWithOnlyTheDatabase(t *testing.T) {
	t.Parallel()
	pg := testenv.NewEmptyPostgres(t)
	env := map[string]string{"DATABASE_URL": pg.URL}
	if code, _, stderr := runBin(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runBin(t, env, "migrate", "status")
	if code != 0 || strings.Contains(stdout, "pending") || !strings.Contains(stdout, "applied") {
		t.Errorf("status: exit %d, stdout %q, stderr %q; want every migration applied", code, stdout, stderr)
	}
}

// TestSchedulesNamesTheMissingRedis: `jobs schedules` prints the entries
// without Redis, and says which variable would let it name the leader.
func TestSchedulesNamesTheMissingRedis(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runBin(t, nil, "schedules", "--count", "1")
	if code != 0 || !strings.Contains(stdout, "leader: unknown") || !strings.Contains(stdout, "REDIS_URL") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0, the leader unknown for want of REDIS_URL", code, stdout, stderr)
	}
	r := testenv.NewRedis(t)
	code, stdout, _ = runBin(t, map[string]string{"REDIS_URL": r.URL()}, "schedules", "--count", "1")
	if code != 0 || !strings.Contains(stdout, "leader: none") {
		t.Errorf("with REDIS_URL: exit %d, stdout %q; want the leader: none", code, stdout)
	}
}
