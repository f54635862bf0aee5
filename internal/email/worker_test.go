package email

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

// TestWorkerKeepsRetriesAndPausesTheQueue runs the handler in a real
// worker on Redis: a throttled email and one refused because sending is
// paused come back without spending a retry, and the second pauses the
// emails queue in Redis.
func TestWorkerKeepsRetriesAndPausesTheQueue(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	ses := newFakeSES(t)
	f := newFixture(t, newSES(t, ses.srv.URL, ""))
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	f.s.Pauser = insp
	q, ok := queues.Lookup(queues.Emails)
	if !ok {
		t.Fatal("no emails queue")
	}
	handlers := worker.NewHandlers()
	worker.Handle(handlers, taskemail.KindSend, f.s.Send)
	w, err := worker.New(worker.Config{
		Redis: r.Client, Queues: []queues.Queue{q},
		Handlers:        handlers,
		ShutdownTimeout: 5 * time.Second, PollInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
	client := asynq.NewClientFromRedisClient(r.Client)

	// Throttled: back to the retry set with its retry count untouched.
	ses.setAnswer(answerError(429, "TooManyRequestsException", "Maximum sending rate exceeded."))
	throttled := welcome("worker:throttled")
	info := enqueue(t, client, throttled)
	got := waitTask(t, insp, info.ID, func(i *asynq.TaskInfo) bool { return i.State == asynq.TaskStateRetry })
	if got.Retried != 0 {
		t.Errorf("throttled task retried %d times, want 0 (a rate limit spends no retry)", got.Retried)
	}
	if m := f.row(t, throttled); m.Status != outbox.StatusPending || m.Attempts != 0 {
		t.Errorf("throttled row = %s, %d attempts; want pending, 0", m.Status, m.Attempts)
	}

	// Sending paused: the queue is paused in Redis.
	ses.setAnswer(answerError(400, "SendingPausedException", "Sending is paused for this account."))
	paused := welcome("worker:paused")
	info = enqueue(t, client, paused)
	got = waitTask(t, insp, info.ID, func(i *asynq.TaskInfo) bool { return i.State == asynq.TaskStateRetry })
	if got.Retried != 0 {
		t.Errorf("paused task retried %d times, want 0", got.Retried)
	}
	qi, err := insp.GetQueueInfo(queues.Emails)
	if err != nil || !qi.Paused {
		t.Fatalf("emails queue info = %+v, %v; want paused", qi, err)
	}
	// While paused, a new email waits, pending, and SES hears nothing.
	before := len(ses.calls())
	info = enqueue(t, client, welcome("worker:waits"))
	time.Sleep(300 * time.Millisecond)
	if ti, err := insp.GetTaskInfo(queues.Emails, info.ID); err != nil || ti.State != asynq.TaskStatePending || len(ses.calls()) != before {
		t.Errorf("task enqueued while paused = %v, %v, SES requests +%d; want pending, none", ti.State, err, len(ses.calls())-before)
	}
	// The operator fixes SES and resumes the queue: the waiting email goes.
	ses.setAnswer(nil)
	if err := insp.UnpauseQueue(queues.Emails); err != nil {
		t.Fatal(err)
	}
	waitTask(t, insp, info.ID, func(i *asynq.TaskInfo) bool { return i.State == asynq.TaskStateCompleted })
}

func enqueue(t *testing.T, c *asynq.Client, p taskemail.SendPayload) *asynq.TaskInfo {
	t.Helper()
	task, err := taskemail.NewSendTask(p)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Enqueue(task)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// waitTask waits up to 15 seconds for the emails task id to satisfy ok.
func waitTask(t *testing.T, insp *asynq.Inspector, id string, ok func(*asynq.TaskInfo) bool) *asynq.TaskInfo {
	t.Helper()
	return testenv.WaitTask(t, insp, queues.Emails, id, 15*time.Second, ok)
}
