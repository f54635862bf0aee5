package admin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/admin/admintest"
	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/testenv"
)

// opsFixture is the dashboard over a seeded database and Redis.
type opsFixture struct {
	*fixture
	db   *pgxpool.Pool
	rdb  *redis.Client
	seed admintest.Ops
}

func newOpsFixture(t *testing.T) *opsFixture {
	t.Helper()
	pg := testenv.NewPostgres(t)
	f := newFixtureDB(t, nil, pg.Pool)
	rdb := redis.NewClient(&redis.Options{Addr: f.redis.Addr, DB: f.redis.DB})
	t.Cleanup(func() { rdb.Close() })
	return &opsFixture{fixture: f, db: pg.Pool, rdb: rdb, seed: admintest.SeedOps(t, pg.Pool, rdb, f.clock.Now())}
}

// post submits a page's form as a signed-in browser does.
func (f *opsFixture) post(t *testing.T, user, pass, page string, form url.Values, header map[string]string) (*http.Response, string) {
	t.Helper()
	if header == nil {
		header = f.sameOriginHeaders()
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range header {
		h[k] = v
	}
	return f.do(t, req{method: "POST", path: page, user: user, pass: pass, header: h, body: form.Encode()})
}

func (f *opsFixture) admin(t *testing.T, page string, form url.Values) (*http.Response, string) {
	t.Helper()
	return f.post(t, adminName, adminPass, page, form, nil)
}

func (f *opsFixture) status(t *testing.T, table string, id int64) string {
	t.Helper()
	var s string
	if err := f.db.QueryRow(context.Background(), `SELECT status FROM `+table+` WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestOpsPagesShowTheDomain(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	s := f.seed
	tests := []struct {
		path string
		want []string
	}{
		{"/admin", []string{`href="/admin/queues"`, `href="/admin/ops/campaigns"`, `href="/admin/ops/sms"`, `href="/admin/ops/emails"`, `href="/admin/ops/dead-letters"`, `href="/admin/ops/schedules"`}},
		{"/admin/ops/campaigns", []string{"Spring offer", "Winter sale", "New year", "pending 30", "sent 30", "20 waiting until", "3.0/min", "Salon Lumière", "Autumn offer", "4 waiting until"}},
		{"/admin/ops/sms", []string{fmt.Sprintf(`data-text="%d"`, s.Unknown), fmt.Sprintf(`data-text="%d"`, s.Refused), "timeout awaiting response headers", "30001", "21610",
			"3********78", `/admin/queues/queues/sms/tasks/sms:send:`}},
		{"/admin/ops/sms?state=unknown", []string{fmt.Sprintf(`data-text="%d"`, s.Unknown)}},
		{"/admin/ops/sms?reason=21610", []string{fmt.Sprintf(`data-text="%d"`, s.OptedOut)}},
		{"/admin/ops/sms?reason=overflow&salon=" + fmt.Sprint(s.SalonID), []string{fmt.Sprintf(`data-text="%d"`, s.Refused)}},
		{"/admin/ops/emails", []string{fmt.Sprintf(`data-email="%d"`, s.EmailUnknown), fmt.Sprintf(`data-email="%d"`, s.EmailRejected), "outcome unknown", "j***@example.com"}},
		{"/admin/ops/dead-letters", []string{s.DeadReplayable, s.DeadSecret, "unknown kind", "[redacted]", "2 of 2 shown"}},
		{"/admin/ops/schedules", []string{"review-sms", "campaign-sms", s.Leader, s.ScheduleTask, "pending", "*/15 * * * *"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			for _, u := range []struct{ name, pass string }{{adminName, adminPass}, {viewerName, viewerPass}} {
				resp, body := f.do(t, req{method: "GET", path: tt.path, user: u.name, pass: u.pass})
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: status %d: %.300s", u.name, resp.StatusCode, body)
				}
				for _, w := range tt.want {
					if !strings.Contains(body, w) {
						t.Errorf("%s: %q not on the page", u.name, w)
					}
				}
				for _, leak := range []string{admintest.ResetToken, admintest.RecipientPhone, "sé.client@", "33612345678"} {
					if strings.Contains(body, leak) {
						t.Errorf("%s: %q shown", u.name, leak)
					}
				}
				hasForms := strings.Contains(body, `method="post"`)
				if u.name == viewerName && hasForms {
					t.Errorf("the viewer is shown action forms")
				}
			}
		})
	}
	// Filters narrow the list.
	_, body := f.do(t, req{method: "GET", path: "/admin/ops/sms?state=unknown", user: viewerName, pass: viewerPass})
	if strings.Contains(body, fmt.Sprintf(`data-text="%d"`, s.Refused)) {
		t.Error("state=unknown lists a failed text")
	}
	resp, _ := f.do(t, req{method: "GET", path: "/admin/ops/sms?salon=abc", user: viewerName, pass: viewerPass})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("salon=abc: status %d, want 400", resp.StatusCode)
	}
}

// opsActions are one action of each page, valid for the seed.
func opsActions(s admintest.Ops) []struct {
	page string
	form url.Values
} {
	return []struct {
		page string
		form url.Values
	}{
		{"/admin/ops/campaigns", form("id", fmt.Sprint(s.Sending), "action", "pause")},
		{"/admin/ops/campaigns", form("id", fmt.Sprint(s.Scheduled), "action", "cancel")},
		{"/admin/ops/sms", form("id", fmt.Sprint(s.Unknown), "action", "mark-sent")},
		{"/admin/ops/sms", form("id", fmt.Sprint(s.Unknown), "action", "mark-failed")},
		{"/admin/ops/sms", form("id", fmt.Sprint(s.Refused), "action", "requeue")},
		{"/admin/ops/emails", form("id", fmt.Sprint(s.EmailUnknown), "action", "requeue")},
		{"/admin/ops/dead-letters", form("id", s.DeadReplayable, "action", "replay")},
		{"/admin/ops/dead-letters", form("id", s.DeadReplayable, "action", "delete")},
	}
}

// snapshot is everything an action could change.
func (f *opsFixture) snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, table := range []string{"campaigns", "sms_messages", "email_messages"} {
		var s string
		if err := f.db.QueryRow(ctx, `SELECT string_agg(id || ':' || status, ',' ORDER BY id) FROM `+table).Scan(&s); err != nil {
			t.Fatal(err)
		}
		b.WriteString(s + "\n")
	}
	for _, stream := range []string{"jobs:ingest", "jobs:ingest:dead"} {
		fmt.Fprintf(&b, "%s %d\n", stream, f.rdb.XLen(ctx, stream).Val())
	}
	for _, q := range []string{"sms", "emails"} {
		info, err := f.insp.GetQueueInfo(q)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s pending %d archived %d\n", q, info.Pending, info.Archived)
	}
	return b.String()
}

func TestOpsViewerIsRefusedEveryAction(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	before := f.snapshot(t)
	for _, a := range opsActions(f.seed) {
		resp, body := f.post(t, viewerName, viewerPass, a.page, a.form, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer %s %v: status %d, want 403; %.200s", a.page, a.form, resp.StatusCode, body)
		}
	}
	if after := f.snapshot(t); after != before {
		t.Errorf("a viewer's actions changed something:\nbefore %s\nafter %s", before, after)
	}
	if n := strings.Count(f.logs.String(), `"role":"viewer"`); n < len(opsActions(f.seed)) {
		t.Errorf("%d audit lines for the viewer's refused actions, want %d:\n%s", n, len(opsActions(f.seed)), f.logs.String())
	}
}

func TestOpsCrossOriginActionsAreRefused(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	before := f.snapshot(t)
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "same-site"},
	} {
		for _, a := range opsActions(f.seed) {
			resp, _ := f.post(t, adminName, adminPass, a.page, a.form, h)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("admin %s %v from %v: status %d, want 403", a.page, a.form, h, resp.StatusCode)
			}
		}
	}
	if after := f.snapshot(t); after != before {
		t.Errorf("a cross-origin action changed something:\nbefore %s\nafter %s", before, after)
	}
}

func TestOpsCampaignActions(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	s := f.seed
	page := "/admin/ops/campaigns"
	steps := []struct {
		id     int64
		action string
		code   int
		want   string
	}{
		{s.Sending, "pause", http.StatusSeeOther, "paused"},
		{s.Sending, "pause", http.StatusConflict, "paused"},
		{s.Sending, "resume", http.StatusSeeOther, "sending"},
		{s.Scheduled, "pause", http.StatusSeeOther, "paused"},
		{s.Scheduled, "resume", http.StatusSeeOther, "scheduled"},
		{s.Sending, "cancel", http.StatusSeeOther, "cancelled"},
		{s.Sending, "resume", http.StatusConflict, "cancelled"},
		{s.Sent, "cancel", http.StatusConflict, "sent"},
	}
	for _, st := range steps {
		resp, body := f.admin(t, page, form("id", fmt.Sprint(st.id), "action", st.action))
		if resp.StatusCode != st.code {
			t.Errorf("%s %d: status %d, want %d; %.200s", st.action, st.id, resp.StatusCode, st.code, body)
		}
		if got := f.status(t, "campaigns", st.id); got != st.want {
			t.Errorf("after %s %d: status %s, want %s", st.action, st.id, got, st.want)
		}
	}
	if !strings.Contains(f.logs.String(), `"ops_action":"cancel"`) {
		t.Errorf("no audit line names the cancel:\n%s", f.logs.String())
	}
	resp, _ := f.admin(t, page, form("id", "x", "action", "pause"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad id: status %d, want 400", resp.StatusCode)
	}
}

// TestOpsMarkSentOnlyFromUnknown: an operator's verdict settles a text
// whose outcome was lost, and nothing else.
func TestOpsMarkSentOnlyFromUnknown(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	s := f.seed
	page := "/admin/ops/sms"
	for _, id := range []int64{s.Refused, s.OptedOut, s.LostFailed} {
		resp, _ := f.admin(t, page, form("id", fmt.Sprint(id), "action", "mark-sent"))
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("mark-sent failed text %d: status %d, want 409", id, resp.StatusCode)
		}
		if got := f.status(t, "sms_messages", id); got != "failed" {
			t.Errorf("text %d is %s after mark-sent, want failed", id, got)
		}
	}
	resp, _ := f.admin(t, page, form("id", fmt.Sprint(s.Unknown), "action", "mark-sent", "sid", "not-a-sid"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad SID: status %d, want 400", resp.StatusCode)
	}
	sid := "SM" + strings.Repeat("ab", 16)
	resp, body := f.admin(t, page, form("id", fmt.Sprint(s.Unknown), "action", "mark-sent", "sid", sid))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("mark-sent unknown: status %d: %s", resp.StatusCode, body)
	}
	var status, gotSID string
	if err := f.db.QueryRow(context.Background(), `SELECT status, twilio_sid FROM sms_messages WHERE id = $1`, s.Unknown).Scan(&status, &gotSID); err != nil {
		t.Fatal(err)
	}
	if status != "sent" || gotSID != sid {
		t.Errorf("after mark-sent: %s, %s; want sent, %s", status, gotSID, sid)
	}
	// Settled: neither verdict applies again.
	for _, action := range []string{"mark-sent", "mark-failed"} {
		resp, _ := f.admin(t, page, form("id", fmt.Sprint(s.Unknown), "action", action))
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("%s on a sent text: status %d, want 409", action, resp.StatusCode)
		}
	}
	if got := f.status(t, "sms_messages", s.Unknown); got != "sent" {
		t.Errorf("text is %s, want sent", got)
	}
}

func TestOpsMarkFailed(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	resp, _ := f.admin(t, "/admin/ops/sms", form("id", fmt.Sprint(f.seed.Unknown), "action", "mark-failed"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var status, msg string
	if err := f.db.QueryRow(context.Background(), `SELECT status, error_message FROM sms_messages WHERE id = $1`, f.seed.Unknown).Scan(&status, &msg); err != nil {
		t.Fatal(err)
	}
	if status != "failed" || !strings.Contains(msg, "marked failed by "+adminName) {
		t.Errorf("row = %s, %q", status, msg)
	}
}

// TestOpsRequeueTextMakesOneTask: a double click requeues once, and only
// a text Twilio refused can be requeued.
func TestOpsRequeueTextMakesOneTask(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	s := f.seed
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Go(func() {
			resp, _ := f.admin(t, "/admin/ops/sms", form("id", fmt.Sprint(s.Refused), "action", "requeue"))
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c == http.StatusSeeOther {
			ok++
		} else if c != http.StatusConflict {
			t.Errorf("status %d, want 303 or 409", c)
		}
	}
	if ok != 1 {
		t.Errorf("%d requeues succeeded, want 1 (%v)", ok, codes)
	}
	if got := f.status(t, "sms_messages", s.Refused); got != "pending" {
		t.Errorf("requeued text is %s, want pending", got)
	}
	tasks, err := f.insp.ListPendingTasks("sms")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, task := range tasks {
		if task.Type == "sms:send" && string(task.Payload) == fmt.Sprintf(`{"message_id":%d}`, s.Refused) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d sms:send tasks for the text, want 1", n)
	}
	for _, id := range []int64{s.OptedOut, s.LostFailed, s.Unknown} {
		resp, _ := f.admin(t, "/admin/ops/sms", form("id", fmt.Sprint(id), "action", "requeue"))
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("requeue text %d: status %d, want 409 (a resend is not safe)", id, resp.StatusCode)
		}
	}
}

func TestOpsRequeueEmailRunsItsArchivedTask(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	s := f.seed
	resp, body := f.admin(t, "/admin/ops/emails", form("id", fmt.Sprint(s.EmailUnknown), "action", "requeue"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if got := f.status(t, "email_messages", s.EmailUnknown); got != "pending" {
		t.Errorf("email is %s, want pending", got)
	}
	info, err := f.insp.GetTaskInfo("emails", s.EmailTaskID)
	if err != nil || info.State != asynq.TaskStatePending {
		t.Errorf("its task: %v, %v; want pending", info, err)
	}
	resp, _ = f.admin(t, "/admin/ops/emails", form("id", fmt.Sprint(s.EmailUnknown), "action", "requeue"))
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("second requeue: status %d, want 409", resp.StatusCode)
	}
	// No archived task holds the rejected email: nothing changes.
	resp, body = f.admin(t, "/admin/ops/emails", form("id", fmt.Sprint(s.EmailRejected), "action", "requeue"))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "no longer in the archive") {
		t.Errorf("requeue without a task: status %d, %q", resp.StatusCode, body)
	}
	if got := f.status(t, "email_messages", s.EmailRejected); got != "failed" {
		t.Errorf("rejected email is %s, want failed", got)
	}
}

func TestOpsDeleteDeadLetter(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	resp, _ := f.admin(t, "/admin/ops/dead-letters", form("id", f.seed.DeadSecret, "action", "delete"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if n := f.rdb.XLen(context.Background(), "jobs:ingest:dead").Val(); n != 1 {
		t.Errorf("%d dead letters left, want 1", n)
	}
	resp, _ = f.admin(t, "/admin/ops/dead-letters", form("id", f.seed.DeadSecret, "action", "delete"))
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("second delete: status %d, want 409", resp.StatusCode)
	}
	resp, _ = f.admin(t, "/admin/ops/dead-letters", form("id", "1-0; DEL x", "action", "delete"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad id: status %d, want 400", resp.StatusCode)
	}
}

// TestOpsReplayDeadLetterTwiceMakesOneTask replays one dead letter from
// two admins at once and once more later, with the real ingest bridge
// running: one ingest entry, one task.
func TestOpsReplayDeadLetterTwiceMakesOneTask(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t)
	ctx := context.Background()
	bridge, err := ingest.New(ingest.Config{Redis: f.rdb, Group: "ops-test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := bridge.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bridge.Shutdown)

	page := "/admin/ops/dead-letters"
	replay := form("id", f.seed.DeadReplayable, "action", "replay")
	var wg sync.WaitGroup
	codes := make([]int, 3)
	for i := range codes {
		wg.Go(func() {
			resp, _ := f.admin(t, page, replay)
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	resp, _ := f.admin(t, page, replay)
	codes = append(codes, resp.StatusCode)
	ok := 0
	for _, c := range codes {
		if c == http.StatusSeeOther {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("replay answers %v: want exactly one 303, the rest 409", codes)
	}
	entries := f.rdb.XRange(ctx, "jobs:ingest", "-", "+").Val()
	if len(entries) != 1 {
		t.Fatalf("%d ingest entries, want 1: %v", len(entries), entries)
	}
	if key := entries[0].Values["idempotency_key"]; key != "dead-letter-replay:"+f.seed.DeadReplayable {
		t.Errorf("replayed entry's key = %v", key)
	}
	if _, dead := entries[0].Values["error"]; dead {
		t.Error("the replayed entry still carries the dead letter's error")
	}
	// The same entry arriving twice (a producer retry, a replay raced
	// with a restore) still makes one task: the key decides.
	if err := f.rdb.XAdd(ctx, &redis.XAddArgs{Stream: "jobs:ingest", Values: entries[0].Values}).Err(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 20*time.Second, "the bridge to settle both entries", func() bool {
		groups, err := f.rdb.XInfoGroups(ctx, "jobs:ingest").Result()
		return err == nil && len(groups) == 1 && groups[0].Pending == 0 && groups[0].Lag == 0 && groups[0].EntriesRead >= 2
	})
	info, err := f.insp.GetQueueInfo("uploads")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != 1 {
		t.Errorf("uploads queue holds %d tasks after the replays, want 1", info.Size)
	}
	if n := f.rdb.XLen(ctx, "jobs:ingest:dead").Val(); n != 1 {
		t.Errorf("%d dead letters, want 1 (the other one)", n)
	}
}
