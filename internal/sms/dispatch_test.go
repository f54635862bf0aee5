package sms

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/tasks"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// TestConcurrentConfirmationDispatchers runs two confirmation dispatchers
// at once over the seeded salon plus a few hundred more appointments due:
// one row per appointment, one sms:send task per row. A third run creates
// and enqueues nothing.
func TestConcurrentConfirmationDispatchers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, seeded)
	salon := seed(t, f)
	ctx := context.Background()
	const extra = 300
	_, err := f.pool.Exec(ctx, `
		WITH c AS (
			INSERT INTO customers (salon_id, first_name, phone)
			SELECT $1, 'Guest ' || i, '+1555600' || lpad(i::text, 4, '0') FROM generate_series(1, $2) i
			RETURNING id
		)
		INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at)
		SELECT $1, id, $3::timestamptz + (id % 23 + 1) * interval '1 hour', $3::timestamptz + (id % 23 + 2) * interval '1 hour' FROM c`,
		salon, extra, seeded)
	if err != nil {
		t.Fatal(err)
	}
	const due = extra + 3 // and Maria, James and Noah

	d := f.dispatcher()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			<-start
			if err := d.DispatchConfirmations(ctx, nil, &tasksms.DispatchConfirmationsPayload{}); err != nil {
				t.Errorf("DispatchConfirmations() = %v", err)
			}
		})
	}
	close(start)
	wg.Wait()

	check := func(when string) {
		t.Helper()
		if n := f.count(t, `SELECT count(*) FROM sms_messages`); n != due {
			t.Errorf("%s: %d rows, want %d", when, n, due)
		}
		if n := f.count(t, `SELECT count(DISTINCT appointment_id) FROM sms_messages WHERE kind = 'confirmation'
			AND idempotency_key = (SELECT 'confirmation:' || a.id || ':' || extract(epoch FROM a.starts_at)::bigint
				FROM appointments a WHERE a.id = appointment_id)`); n != due {
			t.Errorf("%s: %d appointments with a confirmation keyed on them, want %d", when, n, due)
		}
		var want []string
		rows, err := f.pool.Query(ctx, `SELECT id FROM sms_messages`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			want = append(want, SendTaskID(id))
		}
		got := f.pendingTaskIDs(t)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d sms:send tasks, want one per row (%d)", when, len(got), len(want))
		}
	}
	check("after two concurrent runs")
	if err := d.DispatchConfirmations(ctx, nil, &tasksms.DispatchConfirmationsPayload{}); err != nil {
		t.Fatal(err)
	}
	check("after a third run")
}

// TestReviewDispatch: the seeded appointments completed 30 min to 24 h
// ago get a review request with the salon's link, once.
func TestReviewDispatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, seeded)
	seed(t, f)
	ctx := context.Background()
	for range 2 {
		if err := f.dispatcher().DispatchReviews(ctx, nil, &tasksms.DispatchReviewsPayload{}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := f.pool.Query(ctx, `SELECT to_phone, kind, category, body FROM sms_messages ORDER BY to_phone`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var to, kind, category, body string
		if err := rows.Scan(&to, &kind, &category, &body); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, "https://example.com/demo-salon/review") {
			t.Errorf("review body to %s lacks the salon's link: %q", to, body)
		}
		got = append(got, to+" "+kind+" "+category)
	}
	want := []string{wei + " review transactional", liam + " review transactional"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("review rows (-want +got):\n%s", diff)
	}
	if n := len(f.pendingTaskIDs(t)); n != 2 {
		t.Errorf("%d sms:send tasks, want 2", n)
	}
}

// TestDispatchedTextsStayInTheDispatchTrace: the texts a dispatch queues
// carry its trace context, so a text is followed from the scheduler's tick
// to Twilio.
func TestDispatchedTextsStayInTheDispatchTrace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, seeded)
	seed(t, f)
	traceID := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	spanID := trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled,
	}))
	if err := f.dispatcher().DispatchReviews(ctx, nil, &tasksms.DispatchReviewsPayload{}); err != nil {
		t.Fatal(err)
	}
	ids := f.pendingTaskIDs(t)
	if len(ids) == 0 {
		t.Fatal("the dispatch queued no text")
	}
	want := "00-" + traceID.String() + "-" + spanID.String() + "-01"
	for _, id := range ids {
		info := f.task(t, id)
		if got := info.Headers[tasks.HeaderTraceParent]; got != want {
			t.Errorf("task %s traceparent = %q, want %q", id, got, want)
		}
	}
}

// TestCampaignFanOut: the seeded campaign goes to exactly the customers
// with marketing consent who have not opted out; a second run adds
// nothing; the campaign ends sent with its count.
func TestCampaignFanOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, seeded)
	salon := seed(t, f)
	ctx := context.Background()
	// A customer who texted STOP to another salon: the number is opted
	// out everywhere.
	other := f.salon(t, "Elsewhere", "UTC")
	f.customer(t, other, olivia, true)
	if err := f.store.OptOut(ctx, olivia, &other, outbox.SourceInbound, "STOP"); err != nil {
		t.Fatal(err)
	}

	d := f.dispatcher()
	for range 2 {
		if err := d.DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	rows, err := f.pool.Query(ctx, `
		SELECT m.to_phone FROM sms_messages m JOIN campaigns c ON c.id = m.campaign_id
		WHERE m.kind = 'campaign' AND m.category = 'marketing' AND m.salon_id = $1
		  AND m.idempotency_key = 'campaign:' || c.id || ':' || m.customer_id
		  AND m.body = $2
		ORDER BY m.to_phone`, salon, text.MarketingBody("Demo Salon: 20% off gel manicures this week. Book at https://example.com/demo-salon"))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var to string
		if err := rows.Scan(&to); err != nil {
			t.Fatal(err)
		}
		got = append(got, to)
	}
	if diff := cmp.Diff([]string{maria, james, aisha, wei}, got); diff != "" {
		t.Errorf("campaign recipients (-want +got):\n%s", diff)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages`); n != 4 {
		t.Errorf("%d rows in all, want 4", n)
	}
	if n := len(f.pendingTaskIDs(t)); n != 4 {
		t.Errorf("%d sms:send tasks, want 4", n)
	}
	var status string
	var total int
	var finished *time.Time
	if err := f.pool.QueryRow(ctx, `SELECT status, recipients_total, finished_at FROM campaigns WHERE salon_id = $1`, salon).
		Scan(&status, &total, &finished); err != nil {
		t.Fatal(err)
	}
	if status != "sent" || total != 4 || finished == nil || !finished.Equal(seeded) {
		t.Errorf("campaign = %s, %d recipients, finished %v; want sent, 4, %s", status, total, finished, seeded)
	}

	// The texts go out (New York afternoon: inside the window), each
	// once, with the opt-out line.
	if _, errs := f.drain(t, f.handlers(f.sender())); len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, to := range []string{maria, james, aisha, wei} {
		if msgs := f.fake.SentTo(to); len(msgs) != 1 || !strings.HasSuffix(msgs[0].Body, text.OptOutLine) {
			t.Errorf("%s got %d campaign texts, want 1 ending %q", to, len(msgs), text.OptOutLine)
		}
	}
	if n := len(f.fake.Messages()); n != 4 {
		t.Errorf("fake holds %d messages, want 4", n)
	}
}

// TestCampaignNotDueYet: a campaign whose send_at is ahead waits.
func TestCampaignNotDueYet(t *testing.T) {
	t.Parallel()
	f := newFixture(t, seeded.Add(-2*time.Minute)) // the seed's campaign is due at seeded-1min
	seed(t, f)
	if err := f.dispatcher().DispatchCampaigns(context.Background(), nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages`); n != 0 {
		t.Errorf("%d rows before send_at, want 0", n)
	}
	if n := f.count(t, `SELECT count(*) FROM campaigns WHERE status = 'scheduled'`); n != 1 {
		t.Errorf("campaign left scheduled: %d, want 1", n)
	}
}

// TestCampaignRefusedDoesNotBlockOthers: a campaign that cannot be fanned
// out (its body is too long once the opt-out line is added) fails alone;
// campaigns due after it still go out.
func TestCampaignRefusedDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, seeded)
	salon := seed(t, f)
	ctx := context.Background()
	var bad int64
	err := f.pool.QueryRow(ctx, `INSERT INTO campaigns (salon_id, name, body, send_at)
		VALUES ($1, 'Too long', $2, $3) RETURNING id`,
		salon, strings.Repeat("x", text.MaxBodyRunes-5), seeded.Add(-time.Hour)).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.dispatcher().DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err == nil {
		t.Error("DispatchCampaigns() = nil, want the refused campaign's error")
	}
	if n := f.count(t, `SELECT count(*) FROM campaigns WHERE id <> $1 AND status = 'sent' AND recipients_total = 5`, bad); n != 1 {
		t.Errorf("the seeded campaign, due after the refused one, was not fanned out (%d sent)", n)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages WHERE campaign_id = $1`, bad); n != 0 {
		t.Errorf("%d rows for the refused campaign, want 0", n)
	}
}

// TestDispatchSendsAFewConfirmationsItself: with SendNow, a tick with a
// new confirmation sends it within the dispatch; its task, enqueued all
// the same, then finds the row sent and sends nothing more.
func TestDispatchSendsAFewConfirmationsItself(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550811"
	f.appointment(t, salon, f.customer(t, salon, to, false), false)
	d := f.dispatcher()
	d.SendNow = f.sender().SendRow
	if err := d.DispatchConfirmations(ctx, nil, &tasksms.DispatchConfirmationsPayload{}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.fake.SentTo(to)); n != 1 {
		t.Fatalf("fake holds %d texts to %s after the dispatch, want 1", n, to)
	}
	if ids := f.pendingTaskIDs(t); len(ids) != 1 {
		t.Fatalf("pending tasks = %v, want the confirmation's one", ids)
	}
	if _, errs := f.drain(t, f.handlers(f.sender())); len(errs) > 0 {
		t.Fatal(errs)
	}
	if n := len(f.fake.SentTo(to)); n != 1 {
		t.Errorf("fake holds %d texts to %s after the task ran, want still 1", n, to)
	}
}
