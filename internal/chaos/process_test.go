package chaos

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/testenv"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// killAt are the shares of the campaign's due texts at the stand-in at
// which the worker process is killed.
var killAt = []float64{0.10, 0.40, 0.70}

// testWorkerKill runs the real jobs binary as the campaign's worker
// (sms queue only, SMS_PROVIDER=twilio against the stand-in, every
// recovery interval at its production value), kills it with SIGKILL when
// 10 %, 40 % and 70 % of the due texts reached the stand-in, starting it
// again at once each time, and reports like the other scenarios, the
// settle time counted from the last restart.
func testWorkerKill(t *testing.T, recipients int, rate float64, within time.Duration) {
	bin := buildJobs(t)
	ctx := context.Background()
	h := &harness{t: t, recipients: recipients, blocked: make(map[string]time.Time),
		logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	h.pg = testenv.NewPostgres(t)
	h.rdb = testenv.NewRedis(t)
	h.standin = NewStandIn(t, accountSID, authToken, uint64(time.Now().UnixNano()))
	h.seed(ctx)
	due := recipients - len(h.blocked)

	env := map[string]string{
		"APP_ENV": "test", "LOG_FORMAT": "json",
		"DATABASE_URL": h.pg.URL, "REDIS_URL": h.rdb.URL(), "HTTP_ADDR": testenv.FreeAddr(t),
		"WORKER_QUEUES": "sms", "SMS_PROVIDER": "twilio", "TWILIO_API_BASE": h.standin.URL(),
		"TWILIO_ACCOUNT_SID": accountSID, "TWILIO_AUTH_TOKEN": authToken, "TWILIO_FROM": fromNumber,
		"SMS_RATE_PER_SECOND": strconv.FormatFloat(rate, 'f', -1, 64),
	}
	w := testenv.StartProcess(t, bin, env, "worker")

	client := asynq.NewClientFromRedisClient(h.rdb.Client)
	t.Cleanup(func() { client.Close() })
	task, err := tasksms.NewDispatchCampaignsTask(tasksms.DispatchCampaignsPayload{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	h.optOutSome()

	for i, share := range killAt {
		want := int(share * float64(due))
		deadline := time.Now().Add(within)
		for len(h.standin.Messages()) < want {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: only %d texts at the stand-in within %s, waiting for %d", i+1, len(h.standin.Messages()), within, want)
			}
			if w.Exited() {
				t.Fatalf("kill %d: the worker exited on its own: %v", i+1, w.Err())
			}
			time.Sleep(10 * time.Millisecond)
		}
		w.Kill(t)
		at := len(h.standin.Messages())
		var claimed, handed int
		err := h.pg.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE handed_at IS NULL), count(*) FILTER (WHERE handed_at IS NOT NULL)
			FROM sms_messages WHERE status = 'sending'`).Scan(&claimed, &handed)
		if err != nil {
			t.Fatal(err)
		}
		// Cumulative: the rows of earlier kills stay claimed until their
		// claim is stale (outbox.StuckAfter).
		t.Logf("kill -9 %d at %d texts at the stand-in; rows left sending by the kills so far: %d claimed, not handed to Twilio; %d handed, no answer", i+1, at, claimed, handed)
		w = testenv.StartProcess(t, bin, env, "worker")
	}
	restarted := time.Now()
	settle := h.waitSettled(restarted, within)
	h.check(h.report("worker kill -9", settle))
}

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// buildJobs builds ./cmd/jobs once for the test binary's life and returns
// its path.
func buildJobs(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "chaos-jobs-"); buildErr != nil {
			return
		}
		buildBin, buildErr = testenv.BuildJobs(buildDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
