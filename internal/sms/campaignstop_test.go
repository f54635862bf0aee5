package sms

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/queues"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// campaignWith makes a salon in New York (t0 is its afternoon: inside the
// sending window) with n consenting customers and a campaign due at t0,
// and returns the salon and campaign ids.
func (f *fixture) campaignWith(t testing.TB, n int) (salon, campaign int64) {
	t.Helper()
	ctx := context.Background()
	salon = f.salon(t, fmt.Sprintf("Salon %d", keySeq.Add(1)), "America/New_York")
	if _, err := f.pool.Exec(ctx, `
		INSERT INTO customers (salon_id, first_name, phone, marketing_consent)
		SELECT $1::bigint, 'Client', '+1555' || lpad((($1::bigint % 100) * 100000 + i)::text, 7, '0'), true
		FROM generate_series(1, $2) AS i`, salon, n); err != nil {
		t.Fatalf("insert customers: %v", err)
	}
	if err := f.pool.QueryRow(ctx, `
		INSERT INTO campaigns (salon_id, name, body, send_at) VALUES ($1, 'Spring', 'Spring special: 20% off color', $2)
		RETURNING id`, salon, t0).Scan(&campaign); err != nil {
		t.Fatalf("insert campaign: %v", err)
	}
	return salon, campaign
}

func (f *fixture) setCampaign(t testing.TB, id int64, status string) {
	t.Helper()
	if _, err := f.pool.Exec(context.Background(), `UPDATE campaigns SET status = $2 WHERE id = $1`, id, status); err != nil {
		t.Fatalf("set campaign %d %s: %v", id, status, err)
	}
}

// statuses counts the campaign's rows by status and reason.
func (f *fixture) statuses(t testing.TB, campaign int64) map[string]int {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `
		SELECT status || coalesce(':' || skip_reason, '') || coalesce(':' || wait_reason, ''), count(*)
		FROM sms_messages WHERE campaign_id = $1 GROUP BY 1`, campaign)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// sendSome runs n of the queue's pending send tasks through s, as a worker
// would, deleting them.
func (f *fixture) sendSome(t testing.TB, s *Sender, n int) {
	t.Helper()
	ids := f.pendingTaskIDs(t)
	if len(ids) < n {
		t.Fatalf("%d tasks pending, want at least %d", len(ids), n)
	}
	h := handler(s)
	for _, id := range ids[:n] {
		info := f.task(t, id)
		if err := f.insp.DeleteTask(info.Queue, id); err != nil {
			t.Fatal(err)
		}
		if err := h.ProcessTask(context.Background(), asynq.NewTask(info.Type, info.Payload)); err != nil {
			t.Fatalf("send task %s: %v", id, err)
		}
	}
}

// TestCampaignCancelledDuringSending: 10 of 40 texts have gone out when
// the API cancels; one more is claimed by a worker that dies before the
// hand-over, and the rest's tasks are lost. Nothing more reaches Twilio,
// the reconciler's passes (stale claims, sweep, after a Redis reset too)
// enqueue none of them, and every remaining row ends skipped
// campaign_cancelled: none lost, none left pending.
func TestCampaignCancelledDuringSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	_, campaign := f.campaignWith(t, 40)
	if err := f.dispatcher().DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
		t.Fatal(err)
	}
	s := f.sender()
	f.sendSome(t, s, 10)
	var dying int64
	if err := f.pool.QueryRow(ctx, `SELECT min(id) FROM sms_messages WHERE campaign_id = $1 AND status = 'pending'`, campaign).Scan(&dying); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Claim(ctx, dying, t0); err != nil {
		t.Fatal(err)
	}
	f.setCampaign(t, campaign, "cancelled")

	// Some tasks still run; then the rest are lost with Redis.
	f.sendSome(t, s, 5)
	if err := f.rdb.Client.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(outbox.StuckAfter + time.Minute))
	r := f.reconciler()
	if err := r.Pass(ctx); err != nil {
		t.Fatalf("Pass() = %v", err)
	}
	if ids := f.pendingTaskIDs(t); len(ids) != 0 {
		t.Errorf("the pass enqueued %d tasks for a cancelled campaign: %v", len(ids), ids)
	}
	if n := len(f.fake.Messages()); n != 10 {
		t.Errorf("fake holds %d texts, want the 10 sent before the cancellation", n)
	}
	want := map[string]int{"sent": 10, "skipped:campaign_cancelled": 30}
	if got := f.statuses(t, campaign); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	var status string
	if err := f.pool.QueryRow(ctx, `SELECT status FROM campaigns WHERE id = $1`, campaign).Scan(&status); err != nil || status != "cancelled" {
		t.Errorf("campaign status = %q, %v; want cancelled", status, err)
	}
}

// TestCampaignPausedThenResumed: paused after 5 of 30 texts, the rest wait
// (campaign_paused) through a worker dying mid-claim, the sweep and a
// Redis reset, with nothing sent; once sending again, the next pass
// enqueues them and each goes out once.
func TestCampaignPausedThenResumed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	_, campaign := f.campaignWith(t, 30)
	if err := f.dispatcher().DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
		t.Fatal(err)
	}
	s := f.sender()
	f.sendSome(t, s, 5)
	var dying int64
	if err := f.pool.QueryRow(ctx, `SELECT min(id) FROM sms_messages WHERE campaign_id = $1 AND status = 'pending'`, campaign).Scan(&dying); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Claim(ctx, dying, t0); err != nil {
		t.Fatal(err)
	}
	f.setCampaign(t, campaign, "paused")
	f.sendSome(t, s, 10) // delivered tasks: the rows wait, no task
	if ids := f.pendingTaskIDs(t); len(ids) != 15 {
		t.Fatalf("%d tasks pending, want the 15 not yet run", len(ids))
	}
	r := f.reconciler()
	f.clock.Set(t0.Add(outbox.StuckAfter + time.Minute))
	if err := f.rdb.Client.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// This process's asynq client registered the queue before the reset
	// and will not again: register it for the inspector, as a restarted
	// worker would.
	if err := f.rdb.Client.SAdd(ctx, "asynq:queues", queues.SMS, queues.SMSBulk).Err(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := r.Pass(ctx); err != nil {
			t.Fatalf("Pass() = %v", err)
		}
	}
	if ids := f.pendingTaskIDs(t); len(ids) != 0 {
		t.Errorf("the passes enqueued %d tasks for a paused campaign", len(ids))
	}
	// The dying worker's row is released to wait like the others, and so
	// are the rows whose tasks were lost with Redis.
	if got := f.statuses(t, campaign); got["sent"] != 5 || got["pending:campaign_paused"] != 25 {
		t.Errorf("rows while paused = %v, want 5 sent, 25 waiting campaign_paused", got)
	}
	if n := len(f.fake.Messages()); n != 5 {
		t.Fatalf("fake holds %d texts while paused, want 5", n)
	}

	f.setCampaign(t, campaign, "sending")
	f.clock.Set(t0.Add(outbox.StuckAfter + 2*time.Minute))
	if err := r.Pass(ctx); err != nil {
		t.Fatalf("Pass() = %v", err)
	}
	if _, errs := f.drain(t, f.handlers(s)); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := f.statuses(t, campaign); got["sent"] != 30 {
		t.Errorf("rows after resume = %v, want 30 sent", got)
	}
	seen := map[string]int{}
	for _, m := range f.fake.Messages() {
		seen[m.To]++
	}
	if len(seen) != 30 {
		t.Errorf("fake holds texts to %d numbers, want 30", len(seen))
	}
	for to, n := range seen {
		if n != 1 {
			t.Errorf("%s got %d texts, want 1", to, n)
		}
	}
}

// stopWhileWaiting is a rate limiter whose turn comes after the API has
// changed the campaign: the check just before the hand-over must see it.
type stopWhileWaiting struct {
	f        *fixture
	t        testing.TB
	campaign int64
	status   string
}

func (l stopWhileWaiting) Wait(context.Context, Turn) (time.Duration, error) {
	l.f.setCampaign(l.t, l.campaign, l.status)
	return 0, nil
}

func (l stopWhileWaiting) Join(context.Context, Turn, int64, ...int64) (int64, error) {
	l.t.Error("a text joined a line, want it sent at once")
	return 0, nil
}

func TestCampaignStoppedWhileWaitingForItsTurn(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ status, want string }{
		{"cancelled", "skipped:campaign_cancelled"},
		{"paused", "pending:campaign_paused"},
	} {
		t.Run(tt.status, func(t *testing.T) {
			f := newFixture(t, t0)
			ctx := context.Background()
			_, campaign := f.campaignWith(t, 1)
			if err := f.dispatcher().DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
				t.Fatal(err)
			}
			s := f.sender()
			s.Limiter = stopWhileWaiting{f, t, campaign, tt.status}
			f.sendSome(t, s, 1)
			if n := len(f.fake.Messages()); n != 0 {
				t.Errorf("fake holds %d texts, want none", n)
			}
			if got := f.statuses(t, campaign); got[tt.want] != 1 {
				t.Errorf("rows = %v, want one %s", got, tt.want)
			}
		})
	}
}

// TestCampaignFanOutStops: the API cancels or pauses the campaign while
// its first batch is being made: no further batch is made; a paused
// fan-out resumes once the campaign is sending again, and the campaign
// is sent with every recipient once.
func TestCampaignFanOutStops(t *testing.T) {
	t.Parallel()
	n := outbox.BatchSize + 700
	for _, status := range []string{"cancelled", "paused"} {
		t.Run(status, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, t0)
			ctx := context.Background()
			_, campaign := f.campaignWith(t, n)
			d := f.dispatcher()
			d.afterBatch = func(id int64) { f.setCampaign(t, id, status) }
			if err := d.DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
				t.Fatal(err)
			}
			if got := f.count(t, `SELECT count(*) FROM sms_messages WHERE campaign_id = $1`, campaign); got != outbox.BatchSize {
				t.Fatalf("%d rows after the stop, want one batch (%d)", got, outbox.BatchSize)
			}
			var st string
			if err := f.pool.QueryRow(ctx, `SELECT status FROM campaigns WHERE id = $1`, campaign).Scan(&st); err != nil || st != status {
				t.Fatalf("campaign status = %q, %v; want %s", st, err, status)
			}
			if status == "cancelled" {
				if err := f.reconciler().Pass(ctx); err != nil {
					t.Fatal(err)
				}
				if got := f.statuses(t, campaign); got["skipped:campaign_cancelled"] != outbox.BatchSize {
					t.Errorf("rows = %v, want every one skipped campaign_cancelled", got)
				}
				return
			}
			f.setCampaign(t, campaign, "sending")
			f.clock.Set(t0.Add(2 * time.Minute)) // the stopped fan-out's claim has aged
			d.afterBatch = nil
			if err := d.DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
				t.Fatal(err)
			}
			if got := f.count(t, `SELECT count(DISTINCT customer_id) FROM sms_messages WHERE campaign_id = $1`, campaign); got != n {
				t.Errorf("%d recipients after the resumed fan-out, want %d", got, n)
			}
			var total int
			if err := f.pool.QueryRow(ctx, `SELECT status, recipients_total FROM campaigns WHERE id = $1`, campaign).Scan(&st, &total); err != nil || st != "sent" || total != n {
				t.Errorf("campaign = %s with %d recipients, %v; want sent with %d", st, total, err, n)
			}
		})
	}
}

// BenchmarkCampaignCancelToLastHandOver: a 2,000-recipient campaign sends
// at 20/s through a real worker (sms queue, concurrency 10); after 40
// texts the API cancels it. Reported: the time from the cancellation to
// the last text handed to the fake (the bound is 5 s), and the
// texts that left after it.
func BenchmarkCampaignCancelToLastHandOver(b *testing.B) {
	for b.Loop() {
		f := newFixture(b, t0)
		ctx := context.Background()
		_, campaign := f.campaignWith(b, 2000)
		l, err := NewLimiter(f.rdb.Client, "MGcancel", 20)
		if err != nil {
			b.Fatal(err)
		}
		d := f.dispatcher()
		d.Lines = l // in line, as in production
		if err := d.DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
			b.Fatal(err)
		}
		s := f.sender()
		s.Clock, s.Limiter = nil, l
		s.Quiet = text.QuietHours{Start: 0, End: 24 * time.Hour} // the wall clock's hour must not matter
		f.fake.SetClock(nil)
		stop := startWorker(b, f, s)
		waitSent(b, f, 40, time.Minute)
		before := len(f.fake.Messages())
		cancelled := time.Now()
		f.setCampaign(b, campaign, "cancelled")
		time.Sleep(6 * time.Second) // longer than the bound: anything later would show
		stop()
		msgs := f.fake.Messages()
		var last time.Time
		for _, m := range msgs[before:] {
			last = maxTime(last, m.DateCreated)
		}
		after := max(last.Sub(cancelled), 0)
		b.ReportMetric(after.Seconds(), "s-cancel-to-last")
		b.ReportMetric(float64(len(msgs)-before), "texts-after-cancel")
		if after > 5*time.Second {
			b.Errorf("a text left %s after the cancellation, want within 5 s", after)
		}
	}
}
