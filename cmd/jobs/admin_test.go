package main

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/crypto/bcrypt"

	"github.com/salonworks/jobs/internal/testenv"
)

// TestAdminServesDashboardHealthAndMetrics runs `jobs admin` and checks what
// it serves on HTTP_ADDR and that SIGTERM stops it cleanly.
func TestAdminServesDashboardHealthAndMetrics(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	pg := testenv.NewPostgres(t)
	client := asynq.NewClient(r.ConnOpt())
	defer client.Close()
	if _, err := client.Enqueue(asynq.NewTask("sms:dispatch_reviews", nil), asynq.Queue("sms")); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("pw one"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"APP_ENV": "test", "REDIS_URL": r.URL(), "DATABASE_URL": pg.URL, "HTTP_ADDR": testenv.FreeAddr(t), "LOG_FORMAT": "json",
		"ADMIN_USERS":    "ops:admin:" + string(hash),
		"PROMETHEUS_URL": "http://prometheus.invalid:9090",
	}
	p := start(t, env, "admin")
	base := "http://" + env["HTTP_ADDR"]
	waitHTTP(t, base+"/health/live", http.StatusOK, 20*time.Second)
	waitHTTP(t, base+"/health/ready", http.StatusOK, 5*time.Second)
	metrics := waitHTTP(t, base+"/metrics", http.StatusOK, 5*time.Second)
	for _, series := range []string{`asynq_queue_size{queue="sms"} 1`, `jobs_queue_tasks{queue="sms",state="pending"} 1`} {
		if !strings.Contains(metrics, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}

	tests := []struct {
		name, user, pass string
		want             int
		body             string
	}{
		{"no credentials", "", "", http.StatusUnauthorized, "authentication required"},
		{"wrong password", "ops", "pw two", http.StatusUnauthorized, "authentication required"},
		{"admin", "ops", "pw one", http.StatusOK, `window.FLAG_PROMETHEUS_SERVER_ADDRESS="http:\/\/prometheus.invalid:9090"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+"/admin/queues", nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || !strings.Contains(string(b), tt.body) {
				t.Errorf("status %d, want %d; body %.400q lacks %q", resp.StatusCode, tt.want, b, tt.body)
			}
		})
	}
	// The Twilio webhooks are served beside the dashboard, outside its
	// basic auth: an unsigned callback is refused by the signature check
	// (403), not asked for a password (401).
	resp, err := http.Post(base+"/webhooks/twilio/status", "application/x-www-form-urlencoded", strings.NewReader("MessageSid=SM1&MessageStatus=delivered"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("unsigned webhook: status %d, WWW-Authenticate %q; want 403 from the signature check",
			resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if err := p.Stop(t, 10*time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	if !strings.Contains(p.Logs(), `"msg":"dashboard login failed","user":"ops"`) {
		t.Errorf("failed login not logged:\n%s", p.Logs())
	}
	if strings.Contains(p.Logs(), "pw two") {
		t.Error("the tried password reached the log")
	}
}

func TestAdminRequiresUsersOutsideDevelopment(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"APP_ENV": "production", "REDIS_URL": "redis://127.0.0.1:1/0",
		"DATABASE_URL": "postgres://jobs@127.0.0.1:1/jobs", "ALLOW_LOG_PROVIDERS": "true",
		"SMS_PROVIDER": "log", "EMAIL_PROVIDER": "log", "STORAGE": "local",
	}
	code, _, stderr := runBin(t, env, "admin")
	if code != 1 || !strings.Contains(stderr, "ADMIN_USERS") {
		t.Errorf("exit %d, stderr %q; want 1 naming ADMIN_USERS", code, stderr)
	}
	env["ADMIN_USERS"] = "ops:admin:plain-password"
	code, _, stderr = runBin(t, env, "admin")
	if code != 1 || !strings.Contains(stderr, "not a bcrypt hash") || strings.Contains(stderr, "plain-password") {
		t.Errorf("plain password: exit %d, stderr %q; want 1, refused without echoing it", code, stderr)
	}
}

func TestAdminHashPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stdin string
		code        int
		password    string
	}{
		{"one line", "s3cret horse\n", 0, "s3cret horse"},
		{"no newline", "s3cret horse", 0, "s3cret horse"},
		{"only the first line", "first\nsecond\n", 0, "first"},
		{"empty", "", 2, ""},
		{"blank line", "\n", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(binPath, "admin", "hash-password")
			cmd.Stdin = strings.NewReader(tt.stdin)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr.String())
			}
			if tt.code != 0 {
				return
			}
			hash := strings.TrimSpace(stdout.String())
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(tt.password)); err != nil {
				t.Errorf("printed %q does not verify %q: %v", hash, tt.password, err)
			}
			if c, _ := bcrypt.Cost([]byte(hash)); c != 12 {
				t.Errorf("cost %d, want 12", c)
			}
			if strings.Contains(stdout.String()+stderr.String(), tt.password) {
				t.Error("the password was printed")
			}
		})
	}
}
