package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/internal/sms/twilio"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// The fake Twilio account every test sends through, and the public origin
// Twilio calls back.
const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "f00dfeedf00dfeedf00dfeedf00dfeed"
	serviceSID = "MG0123456789abcdef0123456789abcdef"
	publicBase = "https://jobs.example.com"
	smsQueue   = "sms"
)

// fixture is one test's Postgres schema, Redis database and Twilio fake,
// with the twilio-go client pointed at the fake, and a fixed clock shared
// by the code under test and the fake.
type fixture struct {
	pg       *testenv.Postgres
	rdb      *testenv.Redis
	pool     *pgxpool.Pool
	store    *outbox.Store
	fake     *twiliofake.Fake
	provider Provider
	client   *asynq.Client
	insp     *asynq.Inspector
	clock    *clock.Manual
	logger   *slog.Logger
}

// newFixture starts everything at the fixed time now.
func newFixture(t testing.TB, now time.Time) *fixture {
	t.Helper()
	f := &fixture{
		pg:     testenv.NewPostgres(t),
		rdb:    testenv.NewRedis(t),
		clock:  clock.NewManual(now),
		logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	f.pool = f.pg.Pool
	f.store = outbox.New(f.pool)
	f.fake = twiliofake.New(t, accountSID, authToken)
	f.fake.SetClock(f.clock.Clock())
	f.provider = Twilio{C: newTwilioClient(t, f.fake)}
	f.client = asynq.NewClientFromRedisClient(f.rdb.Client)
	f.insp = asynq.NewInspectorFromRedisClient(f.rdb.Client)
	return f
}

// newTwilioClient is the real twilio-go client talking to fake, with a
// short timeout so that a hanging answer is a timeout within the test.
func newTwilioClient(t testing.TB, fake *twiliofake.Fake) *twilio.Client {
	t.Helper()
	c, err := twilio.New(twilio.Config{
		APIBase: fake.URL(), AccountSID: accountSID, AuthToken: authToken,
		MessagingServiceSID: serviceSID,
		HTTPClient:          &http.Client{Timeout: 300 * time.Millisecond},
	})
	if err != nil {
		t.Fatalf("twilio.New: %v", err)
	}
	return c
}

// sender is the sms:send handler as internal/app wires it, without a rate
// limit, with the default quiet hours.
func (f *fixture) sender() *Sender {
	return &Sender{
		Store: f.store, DB: f.pool, Provider: f.provider, Enqueue: f.client,
		Quiet: text.DefaultQuietHours, PublicBaseURL: publicBase, Logger: f.logger, Clock: f.clock.Clock(),
	}
}

func (f *fixture) dispatcher() *Dispatcher {
	return &Dispatcher{DB: f.pool, Store: f.store, Enqueue: f.client, Logger: f.logger, Clock: f.clock.Clock(), EnqueueWorkers: 16}
}

func (f *fixture) reconciler() *Reconciler {
	return &Reconciler{
		Store: f.store, Provider: f.provider, Enqueue: f.client, Redis: f.rdb.Client,
		Logger: f.logger, Clock: f.clock.Clock(), Skew: 5 * time.Second, Tasks: f.insp,
	}
}

func (f *fixture) webhooks() *Webhooks {
	return &Webhooks{Store: f.store, AuthToken: authToken, PublicBaseURL: publicBase, Logger: f.logger, Clock: f.clock.Clock()}
}

// salon inserts a salon in time zone tz and returns its id.
func (f *fixture) salon(t testing.TB, name, tz string) int64 {
	t.Helper()
	var id int64
	err := f.pool.QueryRow(context.Background(), `
		INSERT INTO salons (name, timezone, review_link) VALUES ($1, $2, 'https://example.com/review') RETURNING id`,
		name, tz).Scan(&id)
	if err != nil {
		t.Fatalf("insert salon: %v", err)
	}
	return id
}

// customer inserts a customer of salonID and returns its id.
func (f *fixture) customer(t testing.TB, salonID int64, phone string, consent bool) int64 {
	t.Helper()
	var id int64
	err := f.pool.QueryRow(context.Background(), `
		INSERT INTO customers (salon_id, first_name, phone, marketing_consent) VALUES ($1, 'Maria', $2, $3) RETURNING id`,
		salonID, phone, consent).Scan(&id)
	if err != nil {
		t.Fatalf("insert customer: %v", err)
	}
	return id
}

var keySeq atomic.Int64

// message stores a pending row of the given kind to customer's phone and
// returns its id. Campaign rows are marketing, every other kind
// transactional.
func (f *fixture) message(t testing.TB, salonID, customerID int64, kind, to string) int64 {
	t.Helper()
	m := outbox.Message{
		IdempotencyKey: fmt.Sprintf("test:%s:%d", kind, keySeq.Add(1)),
		SalonID:        salonID, CustomerID: customerID,
		Category: outbox.CategoryTransactional, Kind: kind, To: to,
		Body: fmt.Sprintf("Hi Maria, see you soon (%d). Reply STOP to opt out.", keySeq.Load()),
	}
	if kind == outbox.KindCampaign {
		m.Category = outbox.CategoryMarketing
	}
	if (kind == outbox.KindConfirmation || kind == outbox.KindReview) && customerID != 0 {
		// The send path reads the appointment back: one that is still
		// true (booked a day ahead, or completed an hour ago).
		m.AppointmentID = f.appointment(t, salonID, customerID, kind == outbox.KindReview)
	}
	id, created, err := f.store.Create(context.Background(), m)
	if err != nil || !created {
		t.Fatalf("create %s message: %v (created %v)", kind, err, created)
	}
	return id
}

// appointment inserts an appointment of customerID a day after the
// fixture's time, booked, or completed an hour before it, and returns its
// id.
func (f *fixture) appointment(t testing.TB, salonID, customerID int64, completed bool) int64 {
	t.Helper()
	now := f.clock.Now()
	starts, status, done := now.Add(24*time.Hour), "booked", (*time.Time)(nil)
	if completed {
		starts, status = now.Add(-2*time.Hour), "completed"
		end := now.Add(-time.Hour)
		done = &end
	}
	var id int64
	err := f.pool.QueryRow(context.Background(), `
		INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at, status, completed_at)
		VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '1 hour', $4, $5) RETURNING id`,
		salonID, customerID, starts, status, done).Scan(&id)
	if err != nil {
		t.Fatalf("insert appointment: %v", err)
	}
	return id
}

func (f *fixture) get(t testing.TB, id int64) outbox.Message {
	t.Helper()
	m, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// sendTask is the sms:send task of row id, as the dispatchers enqueue it.
func sendTask(t testing.TB, id int64) *asynq.Task {
	t.Helper()
	task, err := NewSendTask(id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// handler is s as the worker registers it: worker.Handle decodes and
// validates the payload, then Send runs.
func handler(s *Sender) asynq.Handler {
	h := worker.NewHandlers()
	worker.Handle(h, tasksms.KindSend, s.Send)
	fn, _ := h.Lookup(tasksms.KindSend)
	return fn
}

// handlers is the sms queue's kinds, registered as the worker does, for
// drain.
func (f *fixture) handlers(s *Sender) *worker.Handlers {
	d := f.dispatcher()
	h := worker.NewHandlers()
	worker.Handle(h, tasksms.KindSend, s.Send)
	worker.Handle(h, tasksms.KindDispatchConfirmations, d.DispatchConfirmations)
	worker.Handle(h, tasksms.KindDispatchReviews, d.DispatchReviews)
	worker.Handle(h, tasksms.KindDispatchCampaigns, d.DispatchCampaigns)
	return h
}

// smsQueues are the queues of the SMS kinds: the producers' sms and the
// internal sms_bulk.
var smsQueues = []string{queues.SMS, queues.SMSBulk}

// drain plays the worker by hand: it runs every pending task of the sms
// queues through its handler, oldest first (sms before sms_bulk), deleting
// each, until none is left (tasks may enqueue more). It returns how many
// ran and the errors they returned. Scheduled tasks are left alone, and so
// are texts in line (see feed).
func (f *fixture) drain(t testing.TB, handlers *worker.Handlers) (ran int, errs []error) {
	t.Helper()
	for range 100 {
		var pending []*asynq.TaskInfo
		for _, q := range smsQueues {
			p, err := f.insp.ListPendingTasks(q, asynq.PageSize(1000))
			if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
				t.Fatalf("list pending tasks: %v", err)
			}
			pending = append(pending, p...)
		}
		if len(pending) == 0 {
			return ran, errs
		}
		for _, info := range pending {
			if err := f.insp.DeleteTask(info.Queue, info.ID); err != nil {
				t.Fatalf("delete task %s: %v", info.ID, err)
			}
			h, ok := handlers.Lookup(info.Type)
			if !ok {
				t.Fatalf("no handler for %s", info.Type)
			}
			ran++
			if err := h.ProcessTask(context.Background(), asynq.NewTask(info.Type, info.Payload)); err != nil {
				errs = append(errs, fmt.Errorf("task %s: %w", info.ID, err))
			}
		}
	}
	t.Fatal("drain: the queue never empties")
	return ran, errs
}

// pendingTaskIDs returns the IDs of the sms queues' pending tasks.
func (f *fixture) pendingTaskIDs(t testing.TB) []string {
	t.Helper()
	var ids []string
	for _, q := range smsQueues {
		for page := 1; ; page++ {
			tasks, err := f.insp.ListPendingTasks(q, asynq.PageSize(1000), asynq.Page(page))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				break
			}
			if err != nil {
				t.Fatalf("list pending tasks: %v", err)
			}
			if len(tasks) == 0 {
				break
			}
			for _, ti := range tasks {
				ids = append(ids, ti.ID)
			}
		}
	}
	return ids
}

// task returns the task called id of an sms queue.
func (f *fixture) task(t testing.TB, id string) *asynq.TaskInfo {
	t.Helper()
	var err error
	for _, q := range smsQueues {
		var info *asynq.TaskInfo
		if info, err = f.insp.GetTaskInfo(q, id); err == nil {
			return info
		}
	}
	t.Fatalf("task %s: %v", id, err)
	return nil
}

// scheduledTasks returns the scheduled tasks of the sms queues.
func (f *fixture) scheduledTasks(t testing.TB) []*asynq.TaskInfo {
	t.Helper()
	var out []*asynq.TaskInfo
	for _, q := range smsQueues {
		s, err := f.insp.ListScheduledTasks(q)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		out = append(out, s...)
	}
	return out
}

// waitTaskID is the ID waitUntil gives the task that sends row id at at.
func waitTaskID(id int64, at time.Time) string {
	return fmt.Sprintf("%s:%d", SendTaskID(id), at.Unix())
}

// wantTaskAt checks that an sms queue holds the send task of row id for
// at: scheduled for that instant (to the second, asynq's resolution), or
// pending when at had already passed when it was enqueued (asynq enqueues a
// past ProcessAt at once).
func (f *fixture) wantTaskAt(t testing.TB, id int64, at time.Time) {
	t.Helper()
	info, err := f.insp.GetTaskInfo(smsQueue, waitTaskID(id, at))
	if err != nil {
		info, err = f.insp.GetTaskInfo(queues.SMSBulk, waitTaskID(id, at))
	}
	if err != nil {
		t.Fatalf("send task of row %d for %s: %v", id, at.UTC().Format(time.RFC3339), err)
	}
	if info.Type != tasksms.KindSend {
		t.Errorf("task %s is a %s, want %s", info.ID, info.Type, tasksms.KindSend)
	}
	switch info.State {
	case asynq.TaskStateScheduled:
		if !info.NextProcessAt.Equal(at.Truncate(time.Second)) {
			t.Errorf("task %s scheduled for %s, want %s", info.ID, info.NextProcessAt.UTC(), at.UTC())
		}
	case asynq.TaskStatePending:
		if at.After(time.Now()) {
			t.Errorf("task %s is pending, want it scheduled for %s", info.ID, at.UTC())
		}
	default:
		t.Errorf("task %s is %s, want scheduled for %s", info.ID, info.State, at.UTC())
	}
}
