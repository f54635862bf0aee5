package sms

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/sms/text"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// TestConfirmationsStillTrueAfterANightOfQuietHours: four confirmations
// made at 03:00 in New York wait for the window (quiet hours apply to
// confirmations here). Before it opens one appointment is cancelled, one
// moved, one marked a no-show. At 08:00 only the untouched one goes out;
// the others are skipped with their reason, and the next dispatch
// confirms the moved appointment at its new time.
func TestConfirmationsStillTrueAfterANightOfQuietHours(t *testing.T) {
	t.Parallel()
	night := time.Date(2026, 7, 14, 7, 0, 0, 0, time.UTC) // 03:00 in New York
	f := newFixture(t, night)
	ctx := context.Background()
	ny, _ := time.LoadLocation("America/New_York")
	salon := f.salon(t, "Uptown", "America/New_York")
	starts := time.Date(2026, 7, 14, 15, 0, 0, 0, time.UTC)
	var appts [4]int64
	for i := range appts {
		cust := f.customer(t, salon, fmt.Sprintf("+1555555070%d", i), false)
		if err := f.pool.QueryRow(ctx, `INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at)
			VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '1 hour') RETURNING id`, salon, cust, starts).Scan(&appts[i]); err != nil {
			t.Fatal(err)
		}
	}
	d := f.dispatcher()
	if err := d.DispatchConfirmations(ctx, nil, &tasksms.DispatchConfirmationsPayload{}); err != nil {
		t.Fatal(err)
	}
	s := f.sender()
	s.QuietTransactional = true
	// (Not drain: the wait tasks are due at a time the wall clock has
	// passed, so asynq makes them pending at once.)
	f.sendSome(t, s, 4)
	if n := f.count(t, `SELECT count(*) FROM sms_messages WHERE status = 'pending' AND wait_reason = 'quiet_hours'`); n != 4 {
		t.Fatalf("%d confirmations waiting for the window, want 4", n)
	}

	moved := starts.Add(3 * time.Hour)
	if _, err := f.pool.Exec(ctx, `UPDATE appointments SET status = 'cancelled' WHERE id = $1`, appts[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE appointments SET starts_at = $2, ends_at = $2::timestamptz + interval '1 hour' WHERE id = $1`, appts[1], moved); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE appointments SET status = 'no_show' WHERE id = $1`, appts[2]); err != nil {
		t.Fatal(err)
	}

	// The window opens: the scheduled tasks run.
	f.clock.Set(time.Date(2026, 7, 14, 12, 0, 0, 0, time.UTC))
	rows, err := f.pool.Query(ctx, `SELECT id FROM sms_messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if err := handler(s).ProcessTask(ctx, sendTask(t, id)); err != nil {
			t.Fatalf("send %d: %v", id, err)
		}
	}
	want := map[int64]string{
		appts[0]: "skipped:appointment_cancelled", appts[1]: "skipped:rescheduled",
		appts[2]: "skipped:appointment_not_booked", appts[3]: "sent",
	}
	for appt, w := range want {
		var got string
		if err := f.pool.QueryRow(ctx, `SELECT status || coalesce(':' || skip_reason, '') FROM sms_messages WHERE appointment_id = $1`, appt).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("confirmation of appointment %d = %s, want %s", appt, got, w)
		}
	}
	if n := len(f.fake.Messages()); n != 1 {
		t.Errorf("fake holds %d texts, want 1", n)
	}

	// The next dispatch confirms the moved appointment at its new time.
	if err := d.DispatchConfirmations(ctx, nil, &tasksms.DispatchConfirmationsPayload{}); err != nil {
		t.Fatal(err)
	}
	if _, errs := f.drain(t, f.handlers(s)); len(errs) > 0 {
		t.Fatal(errs)
	}
	got := f.fake.SentTo("+15555550701")
	if wantBody := text.ConfirmationBody("Uptown", "Maria", moved, ny); len(got) != 1 || got[0].Body != wantBody {
		t.Errorf("moved appointment's texts = %+v, want one saying %q", got, wantBody)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages WHERE appointment_id = $1`, appts[1]); n != 2 {
		t.Errorf("%d confirmation rows for the moved appointment, want 2 (old skipped, new sent)", n)
	}
	if n := len(f.fake.Messages()); n != 2 {
		t.Errorf("fake holds %d texts in all, want 2", n)
	}
}

// TestOneReviewRequestPerVisitDay: a customer with two appointments
// completed the same day at one salon gets one review request; another
// customer's is not affected.
func TestOneReviewRequestPerVisitDay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	salon := f.salon(t, "Uptown", "America/New_York")
	twice := f.customer(t, salon, "+15555550801", false)
	once := f.customer(t, salon, "+15555550802", false)
	for _, c := range []int64{twice, twice, once} {
		if _, err := f.pool.Exec(ctx, `INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at, status, completed_at)
			VALUES ($1, $2, $3::timestamptz - interval '3 hours', $3::timestamptz - interval '2 hours', 'completed', $3::timestamptz - interval '1 hour')`,
			salon, c, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.dispatcher().DispatchReviews(ctx, nil, &tasksms.DispatchReviewsPayload{}); err != nil {
		t.Fatal(err)
	}
	if _, errs := f.drain(t, f.handlers(f.sender())); len(errs) > 0 {
		t.Fatal(errs)
	}
	if n := len(f.fake.SentTo("+15555550801")); n != 1 {
		t.Errorf("customer with two visits got %d review requests, want 1", n)
	}
	if n := len(f.fake.SentTo("+15555550802")); n != 1 {
		t.Errorf("other customer got %d review requests, want 1", n)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages WHERE status = 'skipped' AND skip_reason = 'duplicate_review'`); n != 1 {
		t.Errorf("%d rows skipped duplicate_review, want 1", n)
	}
}

// TestConfirmationKeyMigration: a confirmation made under the old key
// (confirmation:<appointment>) before migration 11 is given the key naming
// its appointment's start; the dispatcher then makes no second one, and it
// is sent, not taken for a moved appointment.
func TestConfirmationKeyMigration(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	salon := f.salon(t, "Uptown", "America/New_York")
	cust := f.customer(t, salon, "+15555550951", false)
	appt := f.appointment(t, salon, cust, false)
	if _, err := f.pool.Exec(ctx, `
		INSERT INTO sms_messages (idempotency_key, salon_id, customer_id, appointment_id, category, kind, to_phone, body)
		VALUES ('confirmation:' || $1::bigint, $2, $3, $1, 'transactional', 'confirmation', '+15555550951', 'Hi Maria, see you. Reply STOP to opt out.')`,
		appt, salon, cust); err != nil {
		t.Fatal(err)
	}
	sql, err := os.ReadFile("../postgres/migrations/00007_confirmation_start_key.sql")
	if err != nil {
		t.Fatal(err)
	}
	up := string(sql)
	up = up[strings.Index(up, "-- +goose Up"):strings.Index(up, "COMMENT ON")]
	if _, err := f.pool.Exec(ctx, up); err != nil {
		t.Fatalf("migration 11: %v", err)
	}
	if err := f.dispatcher().DispatchConfirmations(ctx, nil, &tasksms.DispatchConfirmationsPayload{}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages WHERE appointment_id = $1`, appt); n != 1 {
		t.Fatalf("%d confirmations of the appointment after the migration and a dispatch, want 1", n)
	}
	var id int64
	if err := f.pool.QueryRow(ctx, `SELECT id FROM sms_messages WHERE appointment_id = $1`, appt).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := handler(f.sender()).ProcessTask(ctx, sendTask(t, id)); err != nil {
		t.Fatal(err)
	}
	if m := f.get(t, id); m.Status != "sent" {
		t.Errorf("migrated confirmation = %s (%s), want sent", m.Status, m.SkipReason)
	}
}
