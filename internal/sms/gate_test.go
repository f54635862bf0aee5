package sms

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// local is the wall-clock time in zone tz.
func local(t testing.TB, tz string, year int, month time.Month, day, hour, min int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(year, month, day, hour, min, 0, 0, loc)
}

// TestQuietHours sends review, campaign and confirmation texts at fixed
// instants in several zones and across DST changes. Expected openings are
// written in UTC, worked out by hand, so they check the zone arithmetic
// rather than repeat it.
func TestQuietHours(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	const ny, tokyo, london = "America/New_York", "Asia/Tokyo", "Europe/London"
	utc := func(s string) time.Time {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	tests := []struct {
		name string
		tz   string
		kind string
		now  time.Time
		// waitUntil is the next opening when the text must wait; zero
		// when it goes out now.
		waitUntil time.Time
		// quietTransactional is SMS_QUIET_HOURS_TRANSACTIONAL.
		quietTransactional bool
	}{
		{name: "review at 22:30 in New York waits for 08:00",
			tz: ny, kind: outbox.KindReview, now: local(t, ny, 2030, 7, 15, 22, 30), waitUntil: utc("2030-07-16T12:00:00Z")},
		{name: "review at 07:30 on the morning DST ends (2026-11-01)",
			tz: ny, kind: outbox.KindReview, now: local(t, ny, 2026, 11, 1, 7, 30), waitUntil: utc("2026-11-01T13:00:00Z")},
		{name: "review at 07:30 on the morning DST starts (2026-03-08)",
			tz: ny, kind: outbox.KindReview, now: local(t, ny, 2026, 3, 8, 7, 30), waitUntil: utc("2026-03-08T12:00:00Z")},
		{name: "review at 22:30 the night before DST ends waits 10.5 h, not 9.5",
			tz: ny, kind: outbox.KindReview, now: local(t, ny, 2026, 10, 31, 22, 30), waitUntil: utc("2026-11-01T13:00:00Z")},
		{name: "review at 22:30 the night before DST starts waits 8.5 h, not 9.5",
			tz: ny, kind: outbox.KindReview, now: local(t, ny, 2026, 3, 7, 22, 30), waitUntil: utc("2026-03-08T12:00:00Z")},
		{name: "review at 07:30 on a future DST end (2030-11-03)",
			tz: ny, kind: outbox.KindReview, now: local(t, ny, 2030, 11, 3, 7, 30), waitUntil: utc("2030-11-03T13:00:00Z")},
		{name: "campaign at 07:59 on a future DST start (2030-03-10)",
			tz: ny, kind: outbox.KindCampaign, now: local(t, ny, 2030, 3, 10, 7, 59), waitUntil: utc("2030-03-10T12:00:00Z")},
		{name: "review at 08:00 sharp goes out", tz: ny, kind: outbox.KindReview, now: local(t, ny, 2026, 11, 1, 8, 0)},
		{name: "review at 20:59 goes out", tz: ny, kind: outbox.KindReview, now: local(t, ny, 2026, 7, 15, 20, 59)},
		{name: "campaign at 21:00 waits", tz: ny, kind: outbox.KindCampaign, now: local(t, ny, 2030, 7, 15, 21, 0),
			waitUntil: utc("2030-07-16T12:00:00Z")},
		{name: "confirmation at 23:00 goes out", tz: ny, kind: outbox.KindConfirmation, now: local(t, ny, 2026, 7, 15, 23, 0)},
		{name: "confirmation at 03:00 goes out", tz: ny, kind: outbox.KindConfirmation, now: local(t, ny, 2026, 3, 8, 3, 0)},
		{name: "confirmation at 23:00 waits when configured to", tz: ny, kind: outbox.KindConfirmation,
			now: local(t, ny, 2030, 7, 15, 23, 0), waitUntil: utc("2030-07-16T12:00:00Z"), quietTransactional: true},
		// 2030-07-15T13:00Z is 22:00 in Tokyo and 14:00 in London.
		{name: "campaign in Tokyo at 22:00 JST waits", tz: tokyo, kind: outbox.KindCampaign,
			now: utc("2030-07-15T13:00:00Z"), waitUntil: utc("2030-07-15T23:00:00Z")},
		{name: "campaign in London at the same instant goes out", tz: london, kind: outbox.KindCampaign,
			now: utc("2030-07-15T13:00:00Z")},
		// 2030-01-15T07:30Z is 07:30 in London (GMT) and 16:30 in Tokyo.
		{name: "review in London at 07:30 GMT waits", tz: london, kind: outbox.KindReview,
			now: utc("2030-01-15T07:30:00Z"), waitUntil: utc("2030-01-15T08:00:00Z")},
		{name: "review in Tokyo at the same instant goes out", tz: tokyo, kind: outbox.KindReview,
			now: utc("2030-01-15T07:30:00Z")},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			salon := f.salon(t, fmt.Sprintf("Salon %d", i), tt.tz)
			to := fmt.Sprintf("+155555505%02d", i)
			id := f.message(t, salon, f.customer(t, salon, to, true), tt.kind, to)
			s := f.sender()
			s.Clock = clock.Fixed(tt.now)
			s.QuietTransactional = tt.quietTransactional

			if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
				t.Fatalf("Send() = %v, want nil", err)
			}
			m := f.get(t, id)
			sent := len(f.fake.SentTo(to))
			if tt.waitUntil.IsZero() {
				if m.Status != outbox.StatusSent || sent != 1 || m.WaitReason != "" {
					t.Errorf("row %s (waiting for %q), fake holds %d; want sent now, 1 message", m.Status, m.WaitReason, sent)
				}
				return
			}
			if m.Status != outbox.StatusPending || m.WaitReason != outbox.WaitQuietHours || !m.SendAfter.Equal(tt.waitUntil) || m.Attempts != 0 || sent != 0 {
				t.Fatalf("row %s, wait %q until %s, attempts %d, fake holds %d; want pending, %s until %s, 0 attempts, nothing sent",
					m.Status, m.WaitReason, m.SendAfter.UTC(), m.Attempts, sent, outbox.WaitQuietHours, tt.waitUntil)
			}
			f.wantTaskAt(t, id, tt.waitUntil)

			// The scheduled task runs at the opening: the text goes out.
			s.Clock = clock.Fixed(tt.waitUntil)
			if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
				t.Fatalf("Send() at the opening = %v", err)
			}
			if m := f.get(t, id); m.Status != outbox.StatusSent || len(f.fake.SentTo(to)) != 1 {
				t.Errorf("at the opening: row %s, fake holds %d; want sent, 1", m.Status, len(f.fake.SentTo(to)))
			}
		})
	}
}

// TestQuietHoursWaitRunTwice: the task that put a row off is delivered
// again (asynq is at-least-once): it schedules the same wake-up, not a
// second one, and succeeds.
func TestQuietHoursWaitRunTwice(t *testing.T) {
	t.Parallel()
	now := local(t, "America/New_York", 2030, 7, 15, 22, 30)
	f := newFixture(t, now)
	salon := f.salon(t, "Uptown", "America/New_York")
	id := f.message(t, salon, f.customer(t, salon, "+15555550601", true), outbox.KindReview, "+15555550601")
	for i := range 2 {
		if err := handler(f.sender()).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
			t.Fatalf("run %d: Send() = %v, want nil", i+1, err)
		}
	}
	scheduled := f.scheduledTasks(t)
	if len(scheduled) != 1 || scheduled[0].ID != waitTaskID(id, time.Date(2030, 7, 16, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("scheduled tasks = %v, want the one wake-up at 08:00", taskIDs(scheduled))
	}
}

func taskIDs(infos []*asynq.TaskInfo) []string {
	ids := make([]string, len(infos))
	for i, ti := range infos {
		ids[i] = ti.ID
	}
	return ids
}

// TestQuietHoursWakeUpEarly: the wake-up task runs while this worker's
// clock still reads a moment before the opening (clocks differ a little
// between hosts). It would schedule itself, under its own ID; the row must
// not be left without a task.
func TestQuietHoursWakeUpEarly(t *testing.T) {
	t.Parallel()
	opening := local(t, "America/New_York", 2030, 7, 16, 8, 0)
	f := newFixture(t, opening.Add(-300*time.Millisecond))
	salon := f.salon(t, "Uptown", "America/New_York")
	id := f.message(t, salon, f.customer(t, salon, "+15555550602", true), outbox.KindReview, "+15555550602")

	q, _ := queues.Lookup(queues.SMS)
	s := f.sender()
	handlers := worker.NewHandlers()
	worker.Handle(handlers, tasksms.KindSend, s.Send)
	w, err := worker.New(worker.Config{
		Redis: f.rdb.Client, Queues: []queues.Queue{q},
		Handlers:     handlers,
		PollInterval: 20 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown()
	wake := waitTaskID(id, opening)
	if _, err := f.client.Enqueue(sendTask(t, id), asynq.TaskID(wake)); err != nil {
		t.Fatal(err)
	}
	var info *asynq.TaskInfo
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if info, err = f.insp.GetTaskInfo(smsQueue, wake); err == nil && info.State != asynq.TaskStatePending && info.State != asynq.TaskStateActive {
			break
		}
	}
	if m := f.get(t, id); m.Status != outbox.StatusPending {
		t.Fatalf("row = %s, want pending (still quiet by this clock)", m.Status)
	}
	// Some task must still be due to send the row: this one retried, or
	// another scheduled.
	scheduled := f.scheduledTasks(t)
	if info == nil {
		t.Fatalf("wake-up task %s not found: %v", wake, err)
	}
	if info.State != asynq.TaskStateRetry && len(scheduled) == 0 {
		t.Errorf("wake-up task %s is %s and nothing is scheduled (%v): the row has no task left to send it", wake, info.State, taskIDs(scheduled))
	}
}

// TestConsentCheckedAtSend: consent and opt-out are read when the text is
// sent, not when it was created.
func TestConsentCheckedAtSend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, local(t, "America/New_York", 2026, 7, 15, 12, 0))
	salon := f.salon(t, "Uptown", "America/New_York")
	ctx := context.Background()
	tests := []struct {
		name   string
		kind   string
		change string // SQL run on the customer ($1) after the row was created
		want   string // skip reason; empty: sent
	}{
		{"campaign, consent withdrawn", outbox.KindCampaign, `UPDATE customers SET marketing_consent = false WHERE id = $1`, outbox.SkipNoConsent},
		{"campaign, opted out by the API", outbox.KindCampaign, `UPDATE customers SET sms_opted_out_at = now() WHERE id = $1`, outbox.SkipOptedOut},
		{"confirmation, opted out by the API", outbox.KindConfirmation, `UPDATE customers SET sms_opted_out_at = now() WHERE id = $1`, outbox.SkipOptedOut},
		{"confirmation, marketing consent withdrawn", outbox.KindConfirmation, `UPDATE customers SET marketing_consent = false WHERE id = $1`, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			to := fmt.Sprintf("+155555507%02d", i)
			customer := f.customer(t, salon, to, true)
			id := f.message(t, salon, customer, tt.kind, to)
			if _, err := f.pool.Exec(ctx, tt.change, customer); err != nil {
				t.Fatal(err)
			}
			if err := handler(f.sender()).ProcessTask(ctx, sendTask(t, id)); err != nil {
				t.Fatalf("Send() = %v", err)
			}
			m, sent := f.get(t, id), len(f.fake.SentTo(to))
			if tt.want == "" {
				if m.Status != outbox.StatusSent || sent != 1 {
					t.Errorf("row %s, fake holds %d; want sent, 1", m.Status, sent)
				}
				return
			}
			if m.Status != outbox.StatusSkipped || m.SkipReason != tt.want || sent != 0 {
				t.Errorf("row %s (%q), fake holds %d; want skipped (%s), none", m.Status, m.SkipReason, sent, tt.want)
			}
		})
	}
}
