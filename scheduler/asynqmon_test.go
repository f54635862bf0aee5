package scheduler

import (
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks"
)

// TestDashboardRecordsReadBackThroughAsynq writes the scheduler records the
// way the leader does (publish, enqueue, step down) and reads them back
// through asynq's own Inspector, which is what asynqmon calls. The records
// are asynq's internal format written by hand: asynq skips what it cannot
// decode without an error, so an upgrade that changes the format shows up
// here as a missing or different field, not as an empty dashboard page.
func TestDashboardRecordsReadBackThroughAsynq(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	entries, err := Parse([]byte(`replace_defaults: true
entries:
  - {name: resets, cron: '0 8 * * *', timezone: Europe/Paris, kind: salon:reset_queue, payload: {date: '2026-03-04'}, grace: 2h}
  - {name: reviews, cron: '* * * * *', kind: sms:dispatch_reviews, enabled: false}
`))
	if err != nil {
		t.Fatal(err)
	}
	// Nanoseconds on purpose: the timestamps carry them.
	now := time.Date(2026, 3, 4, 6, 30, 15, 123456789, time.UTC)
	run, err := New(Config{
		Entries: entries,
		Redis:   r.Client,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:   clock.Fixed(now),
	})
	if err != nil {
		t.Fatal(err)
	}
	prev := time.Date(2026, 3, 3, 7, 0, 0, 0, time.UTC)
	run.last["resets"] = prev
	run.publish(t.Context(), now)

	insp := asynq.NewInspectorFromRedisClient(r.Client)
	got, err := insp.SchedulerEntries()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) {
		t.Fatalf("asynq reads %d scheduler entries, want %d: %+v", len(got), len(entries), got)
	}
	wantOpts := func(kind string) []string {
		k, ok := tasks.Lookup(kind)
		if !ok {
			t.Fatalf("kind %s is not in the catalogue", kind)
		}
		var out []string
		for _, o := range queues.MustLookup(k.Queue).OptionsFor(kind) {
			out = append(out, o.String())
		}
		return out
	}
	want := []struct {
		id, spec, kind, payload string
		opts                    []string
		next, prev              time.Time
	}{
		{
			id: "resets", spec: "0 8 * * * (Europe/Paris, grace 2h0m0s)", kind: "salon:reset_queue",
			payload: `{"date":"2026-03-04"}`, opts: wantOpts("salon:reset_queue"),
			next: time.Date(2026, 3, 4, 7, 0, 0, 0, time.UTC), prev: prev,
		},
		{
			// Disabled and never run: no next or previous time is written,
			// and asynq reads the missing timestamps as the Unix epoch.
			id: "reviews", spec: "* * * * * (UTC, grace 0s) disabled", kind: "sms:dispatch_reviews",
			payload: `{}`, opts: wantOpts("sms:dispatch_reviews"),
			next: time.Unix(0, 0), prev: time.Unix(0, 0),
		},
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id {
			t.Errorf("entry %d: ID = %q, want %q", i, g.ID, w.id)
		}
		if g.Spec != w.spec {
			t.Errorf("entry %s: Spec = %q, want %q", w.id, g.Spec, w.spec)
		}
		if g.Task == nil {
			t.Errorf("entry %s: no task", w.id)
		} else {
			if g.Task.Type() != w.kind {
				t.Errorf("entry %s: task type = %q, want %q", w.id, g.Task.Type(), w.kind)
			}
			if string(g.Task.Payload()) != w.payload {
				t.Errorf("entry %s: payload = %s, want %s", w.id, g.Task.Payload(), w.payload)
			}
		}
		// asynq drops an option it cannot parse without a word: compare
		// every option's text, so a dropped one fails.
		var opts []string
		for _, o := range g.Opts {
			opts = append(opts, o.String())
		}
		if len(w.opts) == 0 || !slices.Equal(opts, w.opts) {
			t.Errorf("entry %s: options = %q, want %q", w.id, opts, w.opts)
		}
		if !g.Next.Equal(w.next) {
			t.Errorf("entry %s: Next = %s, want %s", w.id, g.Next, w.next)
		}
		if !g.Prev.Equal(w.prev) {
			t.Errorf("entry %s: Prev = %s, want %s", w.id, g.Prev, w.prev)
		}
	}

	// An enqueued tick becomes one enqueue event of its entry.
	tick := time.Date(2026, 3, 4, 7, 0, 0, 0, time.UTC)
	if err := run.enqueue(t.Context(), &run.cfg.Entries[0], tick, now); err != nil {
		t.Fatal(err)
	}
	events, err := insp.ListSchedulerEnqueueEvents("resets")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("asynq reads %d enqueue events, want 1: %+v", len(events), events)
	}
	if id := run.cfg.Entries[0].TaskID(tick); events[0].TaskID != id {
		t.Errorf("event TaskID = %q, want %q", events[0].TaskID, id)
	}
	if !events[0].EnqueuedAt.Equal(now) {
		t.Errorf("event EnqueuedAt = %s, want %s", events[0].EnqueuedAt, now)
	}

	// A leader stepping down takes its entries off the page.
	run.setLeading(true)
	run.stepDown(t.Context(), "test")
	got, err = insp.SchedulerEntries()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("asynq reads %d scheduler entries after stepping down, want none", len(got))
	}
}
