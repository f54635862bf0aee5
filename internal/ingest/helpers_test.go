package ingest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/testenv"
)

const group = "jobs-workers"

// fixedNow stamps failed_at in tests.
var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func testLogger() *slog.Logger {
	if os.Getenv("INGEST_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newBridge builds a bridge on r with short intervals, lets mutate adjust
// the config, and returns it with its registry. It is not started.
func newBridge(t testing.TB, rdb redis.UniversalClient, mutate func(*ingest.Config)) (*ingest.Bridge, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := ingest.Config{
		Redis:     rdb,
		Group:     group,
		Consumer:  "test-" + t.Name(),
		Block:     50 * time.Millisecond,
		ClaimIdle: time.Minute,
		Logger:    testLogger(),
		Registry:  reg,
		Clock:     clock.Fixed(fixedNow),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	b, err := ingest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b, reg
}

// startBridge starts b and stops it when the test ends.
func startBridge(t testing.TB, b *ingest.Bridge) {
	t.Helper()
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Shutdown)
}

// xadd appends one entry with the fields given as name, value pairs, the
// way a producer does, and returns its ID.
func xadd(t testing.TB, rdb redis.Cmdable, pairs ...string) string {
	t.Helper()
	values := make([]any, len(pairs))
	for i, p := range pairs {
		values[i] = p
	}
	id, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: ingest.Stream, Values: values}).Result()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitSettled waits until the group has no undelivered and no pending
// entry: every entry was acknowledged.
func waitSettled(t testing.TB, b *ingest.Bridge, within time.Duration) {
	t.Helper()
	var st ingest.State
	var err error
	defer func() {
		if t.Failed() {
			t.Logf("last state %+v, err %v", st, err)
		}
	}()
	testenv.WaitFor(t, within, "every entry acknowledged", func() bool {
		st, err = b.State(context.Background())
		return err == nil && st.Lag == 0 && st.Pending == 0
	})
}

// counter returns the value of jobs_ingest_entries_total{outcome}.
func counter(t testing.TB, reg prometheus.Gatherer, outcome string) float64 {
	t.Helper()
	return metricValue(t, reg, "jobs_ingest_entries_total", "outcome", outcome)
}

// metricValue returns the value of the named counter or gauge whose label
// has value, or -1 when it is absent.
func metricValue(t testing.TB, reg prometheus.Gatherer, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label == "" || hasLabel(m, label, value) {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// queueTasks lists every task of queue in every state.
func queueTasks(t testing.TB, insp *asynq.Inspector, queue string) []*asynq.TaskInfo {
	t.Helper()
	var all []*asynq.TaskInfo
	list := []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		insp.ListPendingTasks, insp.ListScheduledTasks, insp.ListActiveTasks,
		insp.ListRetryTasks, insp.ListArchivedTasks, insp.ListCompletedTasks,
	}
	for _, f := range list {
		infos, err := f(queue, asynq.PageSize(10000))
		if err != nil {
			if isQueueMissing(err) {
				continue
			}
			t.Fatalf("list %s: %v", queue, err)
		}
		all = append(all, infos...)
	}
	return all
}

func isQueueMissing(err error) bool {
	return errors.Is(err, asynq.ErrQueueNotFound) || strings.Contains(err.Error(), "does not exist")
}

// redisFor returns a test Redis database and an inspector on it.
func redisFor(t testing.TB) (*testenv.Redis, *asynq.Inspector) {
	t.Helper()
	r := testenv.NewRedis(t)
	return r, asynq.NewInspectorFromRedisClient(r.Client)
}
