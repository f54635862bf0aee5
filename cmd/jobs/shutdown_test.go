package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
	synctasks "github.com/salonworks/jobs/tasks/sync"
)

// fakeAPI records, per path, the calls that completed (the handler finished
// its work and the caller was still there) and those cut off.
type fakeAPI struct {
	mu        sync.Mutex
	attempts  map[string]int
	completed map[string]int
	cut       map[string]int
	inFlight  int
	slowFirst map[string]time.Duration
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.attempts[r.URL.Path]++
	first := f.attempts[r.URL.Path] == 1
	delay := 50 * time.Millisecond
	if d, ok := f.slowFirst[r.URL.Path]; ok && first {
		delay = d
	}
	f.inFlight++
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()

	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		f.mu.Lock()
		f.cut[r.URL.Path]++
		f.mu.Unlock()
		return
	}
	f.mu.Lock()
	f.completed[r.URL.Path]++
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeAPI) snapshot() (inFlight int, completed, cut map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	completed, cut = map[string]int{}, map[string]int{}
	for k, v := range f.completed {
		completed[k] = v
	}
	for k, v := range f.cut {
		cut[k] = v
	}
	return f.inFlight, completed, cut
}

// TestShutdownLosesNothingAndRunsNothingTwice runs the real binary, sends
// SIGTERM while three tasks are in flight (two finish within the shutdown
// timeout, one cannot) and seven wait, then starts the binary again: in the
// end every task has completed exactly once and no retry was spent.
func TestShutdownLosesNothingAndRunsNothingTwice(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	pg := testenv.NewPostgres(t)
	api := &fakeAPI{
		attempts: map[string]int{}, completed: map[string]int{}, cut: map[string]int{},
		slowFirst: map[string]time.Duration{
			"/t/0": 2 * time.Second, "/t/1": 2 * time.Second, // finish within SHUTDOWN_TIMEOUT
			"/t/2": time.Minute, // cut off by it
		},
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	env := map[string]string{
		"APP_ENV": "test", "DATABASE_URL": pg.URL, "REDIS_URL": r.URL(),
		"HTTP_ADDR": testenv.FreeAddr(t), "SHUTDOWN_TIMEOUT": "5s", "WORKER_QUEUES": "sync",
		"API_BASE_URL": srv.URL, "API_KEY": "k3y-never-logged", "LOG_FORMAT": "json",
	}
	client := asynq.NewClientFromRedisClient(r.Client)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	enqueue := func(i int) string {
		task, err := synctasks.NewAPICallTask(synctasks.APICallPayload{Method: "POST", Path: fmt.Sprintf("/t/%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		info, err := client.Enqueue(task)
		if err != nil {
			t.Fatal(err)
		}
		return info.ID
	}

	// A task of a queue this worker does not serve (WORKER_QUEUES=sync)
	// must stay where it is.
	other, err := client.Enqueue(asynq.NewTask("upload:process", []byte(`{"upload_id":1}`)), asynq.Queue("uploads"))
	if err != nil {
		t.Fatal(err)
	}

	w := start(t, env, "worker")
	waitHTTP(t, "http://"+env["HTTP_ADDR"]+"/health/ready", http.StatusOK, 20*time.Second)
	// Every queue is listed for the dashboard from the worker's first
	// start, even those that never had a task and this worker does not serve.
	listed, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queues.Names() {
		if !slices.Contains(listed, q) {
			t.Errorf("queue %q not listed by asynq after the worker started (listed: %v)", q, listed)
		}
	}
	var ids []string
	for i := range 3 {
		ids = append(ids, enqueue(i))
	}
	testenv.WaitFor(t, 10*time.Second, "three calls in flight", func() bool { n, _, _ := api.snapshot(); return n == 3 })
	for i := 3; i < 10; i++ {
		ids = append(ids, enqueue(i))
	}
	if err := w.Stop(t, 15*time.Second); err != nil {
		t.Fatalf("worker exit after SIGTERM: %v (want 0)", err)
	}

	_, completed, cut := api.snapshot()
	if completed["/t/0"] != 1 || completed["/t/1"] != 1 {
		t.Errorf("tasks that fit in the shutdown timeout: completed %v, want /t/0 and /t/1 once", completed)
	}
	if cut["/t/2"] != 1 || completed["/t/2"] != 0 {
		t.Errorf("task longer than the timeout: cut %d, completed %d; want cut once, not completed", cut["/t/2"], completed["/t/2"])
	}
	for i := 3; i < 10; i++ {
		if n := completed[fmt.Sprintf("/t/%d", i)]; n != 0 {
			t.Errorf("/t/%d ran after SIGTERM (stop fetching failed)", i)
		}
	}
	info, err := insp.GetTaskInfo("sync", ids[2])
	if err != nil {
		t.Fatal(err)
	}
	if info.State == asynq.TaskStateActive || info.State == asynq.TaskStateArchived {
		t.Errorf("interrupted task state = %s, want back in its queue", info.State)
	}
	if info.Retried != 0 {
		t.Errorf("interrupted task spent %d retries, want 0", info.Retried)
	}

	w2 := start(t, env, "worker")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	testenv.WaitFor(t, time.Minute, "every task completed", func() bool {
		for _, id := range ids {
			info, err := insp.GetTaskInfo("sync", id)
			if err != nil || info.State != asynq.TaskStateCompleted {
				return false
			}
		}
		return ctx.Err() == nil
	})
	metrics := waitHTTP(t, "http://"+env["HTTP_ADDR"]+"/metrics", http.StatusOK, 5*time.Second)
	if want := `jobs_tasks_total{kind="sync:api_call",outcome="succeeded",queue="sync"} 8`; !strings.Contains(metrics, want) {
		t.Errorf("metrics of the second worker lack %s", want)
	}
	if !strings.Contains(metrics, `jobs_queue_tasks{queue="uploads",state="pending"} 1`) {
		t.Errorf("metrics lack the uploads queue's pending task")
	}
	if info, err := insp.GetTaskInfo("uploads", other.ID); err != nil || info.State != asynq.TaskStatePending {
		t.Errorf("task of an unserved queue: %v %v, want still pending", info, err)
	}
	if err := w2.Stop(t, 15*time.Second); err != nil {
		t.Fatalf("second worker exit: %v", err)
	}
	_, completed, _ = api.snapshot()
	for i := range 10 {
		if n := completed[fmt.Sprintf("/t/%d", i)]; n != 1 {
			t.Errorf("/t/%d completed %d times, want exactly 1", i, n)
		}
	}
	for _, p := range []*testenv.Process{w, w2} {
		if strings.Contains(p.Logs(), "k3y-never-logged") {
			t.Error("API_KEY appeared in the log")
		}
		if !strings.Contains(p.Logs(), `"msg":"task finished"`) {
			t.Error("no task finished line in the log")
		}
	}
}
