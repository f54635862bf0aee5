package reports_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/salonworks/jobs/internal/reports"
	"github.com/salonworks/jobs/internal/storage"
	"github.com/salonworks/jobs/internal/taskerr"
)

// brokenStore fails every Put after reading cut bytes of it, as a store
// that goes away in the middle of an upload.
type brokenStore struct {
	storage.Storage
	cut int64
	mu  sync.Mutex
	on  bool
}

var errOutage = errors.New("storage unavailable")

func (s *brokenStore) Put(ctx context.Context, key string, r io.Reader, o storage.PutOptions) error {
	s.mu.Lock()
	on := s.on
	s.mu.Unlock()
	if !on {
		return s.Storage.Put(ctx, key, r, o)
	}
	io.CopyN(io.Discard, r, s.cut)
	return errOutage
}

func (s *brokenStore) set(on bool) {
	s.mu.Lock()
	s.on = on
	s.mu.Unlock()
}

// shutdownStore cancels the task's context in the middle of a Put, as a
// worker told to stop does.
type shutdownStore struct {
	storage.Storage
	cancel func()
}

func (s shutdownStore) Put(ctx context.Context, key string, r io.Reader, o storage.PutOptions) error {
	s.cancel()
	<-ctx.Done()
	return ctx.Err()
}

func TestFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.seed()
	ctx := context.Background()
	// Enough rows that the export reports progress before the cut.
	f.exec(`WITH c AS (INSERT INTO customers (salon_id, first_name, phone) VALUES ($1, 'Bulk', '+15555559999') RETURNING id)
		INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at, status)
		SELECT $1, c.id, timestamptz '2026-03-10 14:00Z' + n * interval '1 second',
		       timestamptz '2026-03-10 15:00Z' + n * interval '1 second', 'booked'
		FROM c, generate_series(1, 20000) n`, s.salon)
	broken := &brokenStore{Storage: f.store, cut: 1 << 20}
	g := *f.g
	g.Storage = broken
	final := false
	g.FinalAttempt = func(context.Context) bool { return final }

	t.Run("storage outage is retried", func(t *testing.T) {
		id := f.request(reports.TypeAppointmentsExport, s.salon, "2026-03-01", "2026-03-31")
		broken.set(true)
		err := generate(ctx, &g, id)
		if !errors.Is(err, errOutage) || taskerr.IsPermanent(err) {
			t.Fatalf("Generate = %v, want the outage, retryable", err)
		}
		r := f.row(id)
		if r.Status != "running" || r.Progress < 10 || r.Progress > 99 {
			t.Errorf("row = %+v, want running with the progress written before the cut", r)
		}
		if len(f.emails()) != 0 {
			t.Error("an email went out for a report that will be retried")
		}
		broken.set(false)
		if err := generate(ctx, &g, id); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if r := f.row(id); r.Status != "done" || r.Progress != 100 {
			t.Errorf("after the retry the row is %+v, want done", r)
		}
	})

	t.Run("last attempt fails the report and tells the requester", func(t *testing.T) {
		id := f.request(reports.TypeSalonSummary, s.salon, "2026-03-01", "2026-03-31")
		broken.set(true)
		final = true
		defer func() { broken.set(false); final = false }()
		err := generate(ctx, &g, id)
		if !taskerr.IsPermanent(err) {
			t.Fatalf("Generate = %v, want permanent", err)
		}
		r := f.row(id)
		if r.Status != "failed" || !strings.Contains(r.Error, "storage unavailable") || !r.Finished {
			t.Errorf("row = %+v, want failed with the cause", r)
		}
		mail, ok := f.emails()["email:report:"+itoa(id)+":failed"]
		if !ok || mail.Data["subject"] != "Your salon summary could not be created" || mail.Data["link_url"] != nil {
			t.Errorf("failure email = %+v (found %t)", mail, ok)
		}
	})

	t.Run("shutdown on the last attempt leaves the report running", func(t *testing.T) {
		id := f.request(reports.TypeSalonSummary, s.salon, "2026-03-01", "2026-03-31")
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		final = true
		defer func() { final = false }()
		g := g
		g.Storage = shutdownStore{Storage: f.store, cancel: cancel}
		if err := generate(ctx, &g, id); !errors.Is(err, context.Canceled) || taskerr.IsPermanent(err) {
			t.Fatalf("Generate = %v, want the cancellation, retryable", err)
		}
		if r := f.row(id); r.Status != "running" {
			t.Errorf("row = %+v, want running for the task asynq puts back", r)
		}
	})

	t.Run("unknown time zone is permanent at once", func(t *testing.T) {
		salon := f.id(`INSERT INTO salons (name, timezone) VALUES ('Moon Base Nails', 'Moon/Tranquility') RETURNING id`)
		id := f.request(reports.TypeAppointmentsExport, salon, "2026-03-01", "2026-03-31")
		err := generate(ctx, &g, id)
		if !taskerr.IsPermanent(err) {
			t.Fatalf("Generate = %v, want permanent", err)
		}
		want := `the salon's time zone "Moon/Tranquility" is not known`
		if r := f.row(id); r.Status != "failed" || r.Error != want {
			t.Errorf("row = %+v, want failed: %s", r, want)
		}
		if _, ok := f.emails()["email:report:"+itoa(id)+":failed"]; !ok {
			t.Error("no failure email")
		}
	})

	t.Run("finished reports are left alone", func(t *testing.T) {
		id := f.request(reports.TypeAppointmentsExport, s.salon, "2026-03-01", "2026-03-02")
		if err := generate(ctx, &g, id); err != nil {
			t.Fatal(err)
		}
		before, mails := f.row(id), len(f.emails())
		f.clock.Advance(1)
		// A duplicate task: no new file, and the email is not sent twice.
		if err := generate(ctx, &g, id); err != nil {
			t.Fatalf("duplicate: %v", err)
		}
		if after := f.row(id); after != before {
			t.Errorf("duplicate changed the row: %+v → %+v", before, after)
		}
		if n := len(f.emails()); n != mails {
			t.Errorf("%d emails pending after the duplicate, want %d", n, mails)
		}
		if err := generate(ctx, &g, 999999); !taskerr.IsPermanent(err) {
			t.Errorf("missing report: %v, want permanent", err)
		}
	})
}
