package worker_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks"
	"github.com/salonworks/jobs/tasks/salon"
	tasksync "github.com/salonworks/jobs/tasks/sync"
)

// panicMessage runs f and returns what it panicked with, or "" when it
// returned normally.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func noStats(context.Context, *asynq.Task, *tasksync.DailyStatsPayload) error { return nil }

func TestHandlePanicsOnWiringMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		register func(h *worker.Handlers)
		want     string
	}{
		{
			name: "a kind registered twice",
			register: func(h *worker.Handlers) {
				worker.Handle(h, tasksync.KindDailyStats, noStats)
				worker.Handle(h, tasksync.KindDailyStats, noStats)
			},
			want: `worker: kind "sync:daily_stats" registered twice`,
		},
		{
			name: "a kind not in the catalogue",
			register: func(h *worker.Handlers) {
				worker.Handle(h, "sync:daily_stat", noStats)
			},
			want: `worker: register "sync:daily_stat": not a kind of the catalogue`,
		},
		{
			name: "a handler of another kind's payload",
			register: func(h *worker.Handlers) {
				worker.Handle(h, salon.KindResetQueue, noStats)
			},
			want: `worker: register "salon:reset_queue": handler takes *sync.DailyStatsPayload, the catalogue decodes *salon.ResetQueuePayload`,
		},
		{
			name: "a nil handler",
			register: func(h *worker.Handlers) {
				worker.Handle[tasksync.DailyStatsPayload](h, tasksync.KindDailyStats, nil)
			},
			want: `worker: register "sync:daily_stats": nil handler`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := panicMessage(func() { tt.register(worker.NewHandlers()) }); got != tt.want {
				t.Errorf("panic %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHandlersTable(t *testing.T) {
	t.Parallel()
	var h worker.Handlers // the zero value is usable
	worker.Handle(&h, tasksync.KindDailyStats, noStats)
	worker.Handle(&h, salon.KindResetQueue, func(context.Context, *asynq.Task, *salon.ResetQueuePayload) error { return nil })
	if diff := cmp.Diff([]string{salon.KindResetQueue, tasksync.KindDailyStats}, h.Kinds()); diff != "" {
		t.Errorf("Kinds() (-want +got):\n%s", diff)
	}
	if _, ok := h.Lookup(tasksync.KindAPICall); ok {
		t.Errorf("Lookup(%q) found a handler never registered", tasksync.KindAPICall)
	}

	// The mux routes the table as it was when built.
	mux := worker.NewMux(&h)
	worker.Handle(&h, tasksync.KindAPICall, func(context.Context, *asynq.Task, *tasksync.APICallPayload) error { return nil })
	if _, ok := h.Lookup(tasksync.KindAPICall); !ok {
		t.Errorf("Lookup(%q) after Handle: not found", tasksync.KindAPICall)
	}
	late := asynq.NewTask(tasksync.KindAPICall, []byte(`{"method":"GET","path":"/x"}`))
	if err := mux.ProcessTask(context.Background(), late); !taskerr.IsPermanent(err) {
		t.Errorf("a kind registered after NewMux: %v, want the permanent no-handler error", err)
	}
	if err := mux.ProcessTask(context.Background(), asynq.NewTask(tasksync.KindDailyStats, nil)); err != nil {
		t.Errorf("a registered kind: %v", err)
	}
}

// A payload the producers' decoder refuses never reaches the handler: the
// task is archived after one attempt, and the operator reads the decoder's
// reason on it. One that decodes reaches the handler typed.
func TestHandleDecodesThePayloadOnce(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := testQueue(queues.Sync, 2, 3)
	var mu sync.Mutex
	var dates []string
	h := worker.NewHandlers()
	worker.Handle(h, tasksync.KindDailyStats, func(_ context.Context, t *asynq.Task, p *tasksync.DailyStatsPayload) error {
		mu.Lock()
		defer mu.Unlock()
		dates = append(dates, p.Date)
		return nil
	})
	startTable(t, r, []queues.Queue{q}, h)
	c := asynq.NewClientFromRedisClient(r.Client)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	put := func(payload string) *asynq.TaskInfo {
		t.Helper()
		info, err := c.Enqueue(asynq.NewTask(tasksync.KindDailyStats, []byte(payload)), q.Options()...)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}

	for _, bad := range []string{
		`{"date":"yesterday"}`,                      // fails Validate
		`{"Date":"2026-03-08"}`,                     // a key json.Unmarshal would accept
		`{"date":"2026-03-08","date":"2026-03-09"}`, // a repeated key
		`[]`,
	} {
		t.Run(bad, func(t *testing.T) {
			_, decodeErr := tasks.Decode(tasksync.KindDailyStats, []byte(bad))
			if decodeErr == nil {
				t.Fatalf("tasks.Decode accepts %s", bad)
			}
			info := waitState(t, insp, q.Name, put(bad).ID, asynq.TaskStateArchived, 20*time.Second)
			if info.Retried != 0 {
				t.Errorf("retried %d times, want 0", info.Retried)
			}
			want := "invalid sync:daily_stats payload: " + decodeErr.Error()
			if !strings.Contains(info.LastErr, want) {
				t.Errorf("last error %q, want it to carry %q", info.LastErr, want)
			}
		})
	}
	good := put(`{"date":"2026-03-08"}`)
	waitState(t, insp, q.Name, good.ID, asynq.TaskStateCompleted, 20*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"2026-03-08"}, dates); diff != "" {
		t.Errorf("payloads the handler saw (-want +got):\n%s", diff)
	}
}

// A worker without a table would archive every task it takes.
func TestNewRequiresHandlers(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	_, err := worker.New(worker.Config{Redis: r.Client, Queues: []queues.Queue{testQueue("q", 1, 0)},
		Logger: slog.New(slog.DiscardHandler), Metrics: metrics.New()})
	if err == nil || !strings.Contains(err.Error(), "Handlers") {
		t.Errorf("New without Handlers = %v, want an error naming Handlers", err)
	}
}
