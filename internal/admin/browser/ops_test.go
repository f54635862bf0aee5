package browser

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/admin"
	"github.com/salonworks/jobs/internal/admin/admintest"
	"github.com/salonworks/jobs/internal/testenv"
)

// TestOpsInBrowser runs ops.test.mjs in headless Chromium against the
// real binary serving `jobs admin` over a seeded database and Redis: it
// signs in, opens the landing page and each operations page, performs one
// admin action on each page that has actions, and saves a screenshot of
// each. The effects are then checked here, in Postgres and Redis.
func TestOpsInBrowser(t *testing.T) {
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
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, DB: r.DB})
	t.Cleanup(func() { rdb.Close() })
	admintest.Seed(t, r.ConnOpt(), admintest.Small)
	seed := admintest.SeedOps(t, pg.Pool, rdb, time.Now())

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

	seedJSON, _ := json.Marshal(seed)
	node := exec.Command("node", "--test", "--test-reporter=tap", "ops.test.mjs")
	node.Env = append(os.Environ(),
		"DASHBOARD_URL=http://"+addr,
		"ADMIN_USER=ops", "ADMIN_PASSWORD="+users["ops"],
		"VIEWER_USER=watcher", "VIEWER_PASSWORD="+users["watcher"],
		"SEED="+string(seedJSON),
		"ARTIFACTS_DIR="+artifacts,
	)
	node.Stdout, node.Stderr = os.Stdout, os.Stderr
	if err := node.Run(); err != nil {
		t.Errorf("node --test ops.test.mjs: %v", err)
	}

	ctx := context.Background()
	status := func(table string, id int64) string {
		var s string
		if err := pg.Pool.QueryRow(ctx, `SELECT status FROM `+table+` WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, c := range []struct {
		what, table string
		id          int64
		want        string
	}{
		{"the paused campaign", "campaigns", seed.Sending, "paused"},
		{"the text marked sent", "sms_messages", seed.Unknown, "sent"},
		{"the requeued email", "email_messages", seed.EmailUnknown, "pending"},
	} {
		if got := status(c.table, c.id); got != c.want {
			t.Errorf("%s is %s, want %s", c.what, got, c.want)
		}
	}
	if n := rdb.XLen(ctx, "jobs:ingest").Val(); n != 1 {
		t.Errorf("%d ingest entries after the replay, want 1", n)
	}
	if t.Failed() {
		t.Logf("jobs admin log:\n%s", logs.String())
	}
}
