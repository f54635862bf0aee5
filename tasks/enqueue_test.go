package tasks

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/email"
	"github.com/salonworks/jobs/tasks/report"
	"github.com/salonworks/jobs/tasks/salon"
	"github.com/salonworks/jobs/tasks/sms"
	tasksync "github.com/salonworks/jobs/tasks/sync"
	"github.com/salonworks/jobs/tasks/upload"
)

// enqueued is what Redis holds about a task, as far as the contract goes.
type enqueued struct {
	Type, Queue, Payload string
	MaxRetry             int
	Timeout, Retention   time.Duration
}

func enqueue(t *testing.T, client *asynq.Client, task *asynq.Task, err error) enqueued {
	t.Helper()
	if err != nil {
		t.Fatalf("new task: %v", err)
	}
	info, err := client.Enqueue(task)
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return enqueued{Type: info.Type, Queue: info.Queue, Payload: string(info.Payload), MaxRetry: info.MaxRetry, Timeout: info.Timeout, Retention: info.Retention}
}

// TestTasksGoToTheirQueue enqueues every kind into Redis, built both by
// NewTask from JSON and by the family's typed constructor, and checks that
// both land on the kind's queue with that queue's retry budget, timeout
// and retention, and the same canonical payload.
func TestTasksGoToTheirQueue(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	client := asynq.NewClient(r.ConnOpt())
	t.Cleanup(func() { client.Close() })

	tests := []struct {
		name, queue, raw, canonical string
		typed                       func() (*asynq.Task, error)
	}{
		{name: "email:send", queue: "emails", raw: `{"to":"ana@example.com","template":"welcome","data":{"name":"Ana"}}`,
			canonical: `{"template":"welcome","to":"ana@example.com","data":{"name":"Ana"}}`,
			typed: func() (*asynq.Task, error) {
				return email.NewSendTask(email.SendPayload{Template: "welcome", To: "ana@example.com", Data: map[string]any{"name": "Ana"}})
			}},
		{name: "sms:send", queue: "sms", raw: `{ "message_id" : 42 }`, canonical: `{"message_id":42}`,
			typed: func() (*asynq.Task, error) { return sms.NewSendTask(sms.SendPayload{MessageID: 42}) }},
		{name: "sms:dispatch_confirmations", queue: "sms", raw: ``, canonical: `{}`,
			typed: func() (*asynq.Task, error) {
				return sms.NewDispatchConfirmationsTask(sms.DispatchConfirmationsPayload{})
			}},
		{name: "sms:dispatch_reviews", queue: "sms", raw: `{}`, canonical: `{}`,
			typed: func() (*asynq.Task, error) { return sms.NewDispatchReviewsTask(sms.DispatchReviewsPayload{}) }},
		{name: "sms:dispatch_campaigns", queue: "sms", raw: `null`, canonical: `{}`,
			typed: func() (*asynq.Task, error) { return sms.NewDispatchCampaignsTask(sms.DispatchCampaignsPayload{}) }},
		{name: "upload:process", queue: "uploads", raw: `{"upload_id":9}`, canonical: `{"upload_id":9}`,
			typed: func() (*asynq.Task, error) { return upload.NewProcessTask(upload.ProcessPayload{UploadID: 9}) }},
		{name: "report:generate", queue: "reports", raw: `{"report_id":3}`, canonical: `{"report_id":3}`,
			typed: func() (*asynq.Task, error) { return report.NewGenerateTask(report.GeneratePayload{ReportID: 3}) }},
		{name: "salon:reset_queue", queue: "sync", raw: `{"date":"2025-06-01"}`, canonical: `{"date":"2025-06-01"}`,
			typed: func() (*asynq.Task, error) {
				return salon.NewResetQueueTask(salon.ResetQueuePayload{Date: "2025-06-01"})
			}},
		{name: "sync:daily_stats", queue: "sync", raw: `{}`, canonical: `{}`,
			typed: func() (*asynq.Task, error) { return tasksync.NewDailyStatsTask(tasksync.DailyStatsPayload{}) }},
		{name: "sync:api_call", queue: "sync", raw: `{"path":"/v1/x","method":"PUT","body":{ "a" : 1 }}`,
			canonical: `{"method":"PUT","path":"/v1/x","body":{"a":1}}`,
			typed: func() (*asynq.Task, error) {
				return tasksync.NewAPICallTask(tasksync.APICallPayload{Method: "PUT", Path: "/v1/x", Body: json.RawMessage(`{"a":1}`)})
			}},
	}
	if len(tests) != len(Kinds()) {
		t.Errorf("the test covers %d kinds, the catalogue has %d", len(tests), len(Kinds()))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := queues.MustLookup(tt.queue)
			want := enqueued{Type: tt.name, Queue: tt.queue, Payload: tt.canonical, MaxRetry: q.MaxRetry, Timeout: q.Timeout, Retention: q.RetentionOf(tt.name)}
			if HoldsSecret(tt.name, []byte(tt.canonical)) {
				// An API call's body is Secret: not kept once done.
				want.Retention = 0
			}

			task, err := NewTask(tt.name, []byte(tt.raw))
			if diff := cmp.Diff(want, enqueue(t, client, task, err)); diff != "" {
				t.Errorf("NewTask, enqueued (-want +got):\n%s", diff)
			}
			task, err = tt.typed()
			if diff := cmp.Diff(want, enqueue(t, client, task, err)); diff != "" {
				t.Errorf("typed constructor, enqueued (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCallerOptionsWin checks that options given to a constructor override
// the queue's.
func TestCallerOptionsWin(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	client := asynq.NewClient(r.ConnOpt())
	t.Cleanup(func() { client.Close() })

	sms := queues.MustLookup(queues.SMS)
	want := enqueued{Type: "sms:send", Queue: "sms", Payload: `{"message_id":1}`, MaxRetry: 9, Timeout: 2 * time.Minute, Retention: sms.Retention}
	task, err := NewTask("sms:send", []byte(`{"message_id":1}`), asynq.MaxRetry(9), asynq.Timeout(2*time.Minute))
	if diff := cmp.Diff(want, enqueue(t, client, task, err)); diff != "" {
		t.Errorf("enqueued (-want +got):\n%s", diff)
	}
}
