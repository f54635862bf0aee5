package reports_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/reports"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	taskreport "github.com/salonworks/jobs/tasks/report"
)

// TestThroughAsynq runs the generator in a real asynq server, so the
// task's result carries the progress as asynqmon shows it.
func TestThroughAsynq(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.seed()
	id := f.request(reports.TypeAppointmentsExport, s.salon, "2026-03-01", "2026-03-31")
	srv := asynq.NewServerFromRedisClient(f.redis.Client, asynq.Config{
		Queues: map[string]int{queues.Reports: 1}, Concurrency: 1, LogLevel: asynq.FatalLevel,
	})
	h := worker.NewHandlers()
	worker.Handle(h, taskreport.KindGenerate, f.g.Generate)
	if err := srv.Start(worker.NewMux(h)); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	task, err := taskreport.NewGenerateTask(taskreport.GeneratePayload{ReportID: id}, asynq.Retention(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	info, err := f.client.Enqueue(task)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ti, err := f.insp.GetTaskInfo(queues.Reports, info.ID)
		if err == nil && ti.State == asynq.TaskStateCompleted {
			var res map[string]any
			if err := json.Unmarshal(ti.Result, &res); err != nil {
				t.Fatalf("result %q: %v", ti.Result, err)
			}
			if res["progress"] != 100.0 || res["storage_key"] != f.row(id).StorageKey {
				t.Errorf("task result = %v, want progress 100 and the key", res)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task not completed in time: %+v, %v", ti, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := f.row(id); r.Status != "done" {
		t.Errorf("row = %+v, want done", r)
	}
	if _, ok := f.emails()["email:report:"+itoa(id)]; !ok {
		t.Error("no email enqueued")
	}
}
