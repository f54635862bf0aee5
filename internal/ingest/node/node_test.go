package node

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	taskemail "github.com/salonworks/jobs/tasks/email"
	taskreport "github.com/salonworks/jobs/tasks/report"
	tasksms "github.com/salonworks/jobs/tasks/sms"
	taskupload "github.com/salonworks/jobs/tasks/upload"
)

// record registers rec for kind, whose payload the worker decodes to a P.
func record[P any](h *worker.Handlers, kind string, rec asynq.Handler) {
	worker.Handle(h, kind, func(ctx context.Context, t *asynq.Task, _ *P) error { return rec.ProcessTask(ctx, t) })
}

// manifest is what producer.test.mjs reports it sent.
type manifest struct {
	Sent []struct {
		Key   string `json:"key"`
		Kind  string `json:"kind"`
		Queue string `json:"queue"`
		Sends int    `json:"sends"`
	} `json:"sent"`
}

// runs counts the executions of each task ID.
type runs struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *runs) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	id, _ := taskinfo.ID(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[id]++
	return nil
}

func (r *runs) snapshot() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.n))
	for k, v := range r.n {
		out[k] = v
	}
	return out
}

// TestNodeProducer runs producer.test.mjs against a real bridge and worker
// and checks that every idempotency key, sent three times, made one task
// that ran once.
func TestNodeProducer(t *testing.T) {
	if os.Getenv("INGEST_NODE_TEST") == "" {
		t.Skip("needs node_modules: run internal/ingest/node/run.sh")
	}
	r := testenv.NewRedis(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := &runs{n: map[string]int{}}
	handlers := worker.NewHandlers()
	record[taskemail.SendPayload](handlers, taskemail.KindSend, rec)
	record[taskreport.GeneratePayload](handlers, taskreport.KindGenerate, rec)
	record[taskupload.ProcessPayload](handlers, taskupload.KindProcess, rec)
	record[tasksms.DispatchReviewsPayload](handlers, tasksms.KindDispatchReviews, rec)
	w, err := worker.New(worker.Config{Redis: r.Client, Queues: queues.All(), Handlers: handlers,
		ShutdownTimeout: 5 * time.Second, PollInterval: 20 * time.Millisecond, Logger: logger, Metrics: metrics.New()})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
	reg := prometheus.NewRegistry()
	b, err := ingest.New(ingest.Config{Redis: r.Client, Group: "jobs-workers", Block: 100 * time.Millisecond,
		Logger: logger, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Shutdown)

	manifestPath := filepath.Join(t.TempDir(), "manifest.json")
	node := exec.Command("node", "--test", "--test-reporter=tap", "producer.test.mjs")
	node.Env = append(os.Environ(), "REDIS_URL="+r.URL(), "MANIFEST="+manifestPath)
	out, err := node.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node --test: %v", err)
	}
	raw, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Sent) == 0 {
		t.Fatal("the Node script reports nothing sent")
	}

	insp := asynq.NewInspectorFromRedisClient(r.Client)
	want := len(m.Sent) + 1 // and the unkeyed dispatch
	testenv.WaitFor(t, 30*time.Second, "every task to run", func() bool { return len(rec.snapshot()) >= want })
	got := rec.snapshot()
	sends := 0
	for _, s := range m.Sent {
		sends += s.Sends
		id := ingest.TaskIDForKey(s.Key)
		if _, err := insp.GetTaskInfo(s.Queue, id); err != nil {
			t.Errorf("key %s: no task %s in %s: %v", s.Key, id, s.Queue, err)
		}
		if got[id] != 1 {
			t.Errorf("key %s (%s) sent %d times: its task ran %d times, want once", s.Key, s.Kind, s.Sends, got[id])
		}
	}
	if len(got) != want {
		t.Errorf("the worker ran %d distinct tasks, want %d (one per key and the dispatch)", len(got), want)
	}
	total := 0
	for _, q := range queues.Names() {
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			insp.ListPendingTasks, insp.ListScheduledTasks, insp.ListCompletedTasks, insp.ListRetryTasks, insp.ListArchivedTasks,
		} {
			infos, err := list(q, asynq.PageSize(1000))
			if err == nil {
				total += len(infos)
			}
		}
	}
	if total != want {
		t.Errorf("%d tasks in the queues, want %d", total, want)
	}
	st, err := b.State(context.Background())
	if err != nil || st.Lag != 0 || st.Pending != 0 || st.DeadLength != 1 {
		t.Errorf("stream state %+v, %v; want everything acknowledged and one dead entry", st, err)
	}
	if dup := duplicates(t, reg); dup != float64(sends-len(m.Sent)) {
		t.Errorf("duplicates counted: %v, want %d (every resend)", dup, sends-len(m.Sent))
	}
	t.Logf("%d keys sent %d times in all: %d tasks, each run once", len(m.Sent), sends, len(got))
}

// duplicates reads jobs_ingest_entries_total{outcome="duplicate"}.
func duplicates(t *testing.T, reg prometheus.Gatherer) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "jobs_ingest_entries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == ingest.OutcomeDuplicate {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}
