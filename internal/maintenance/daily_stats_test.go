package maintenance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/maintenance"
	"github.com/salonworks/jobs/internal/taskerr"
	synctasks "github.com/salonworks/jobs/tasks/sync"
)

type statRow struct {
	ID                                                      int64
	SalonID                                                 int64
	StatDate                                                string
	TechnicianID                                            *int64
	Booked, Completed, Cancelled, NoShow, DistinctCustomers int
}

func (d db) stats() []statRow {
	d.t.Helper()
	rows, _ := d.pool.Query(context.Background(), `SELECT id, salon_id, stat_date::text, technician_id,
		booked, completed, cancelled, no_show, distinct_customers
		FROM daily_stats ORDER BY stat_date, salon_id, technician_key`)
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[statRow])
	if err != nil {
		d.t.Fatalf("read daily_stats: %v", err)
	}
	return got
}

// withoutIDs blanks the ids, which the expectations cannot know.
func withoutIDs(rows []statRow) []statRow {
	out := make([]statRow, len(rows))
	for i, r := range rows {
		r.ID = 0
		out[i] = r
	}
	return out
}

// statsFixture is two salons far apart in time zones, plus one with no
// appointments, around 2026-03-08: the day New York moves to daylight
// saving time, so its local day is 23 hours long (05:00Z to 04:00Z).
type statsFixture struct {
	ny, tokyo, quiet       int64
	ana, ben, cara, kenji  int64
	nyBooked, nyNoShow     int64
	nyCancelled, nyOutside int64
}

func newStatsFixture(d db) statsFixture {
	var f statsFixture
	f.ny = d.salon("Brooklyn Nails", "America/New_York")
	f.tokyo = d.salon("Shibuya Nails", "Asia/Tokyo")
	f.quiet = d.salon("Quiet Salon", "Europe/Lisbon")
	f.ana, f.ben, f.cara = d.technician(f.ny, "Ana"), d.technician(f.ny, "Ben"), d.technician(f.ny, "Cara")
	f.kenji = d.technician(f.tokyo, "Kenji")
	c1, c2, c3 := d.customer(f.ny, "One"), d.customer(f.ny, "Two"), d.customer(f.ny, "Three")
	k1, k2 := d.customer(f.tokyo, "Ichi"), d.customer(f.tokyo, "Ni")

	f.nyBooked = d.appointment(f.ny, c1, f.ana, "2026-03-08T14:00:00Z", "booked")
	d.appointment(f.ny, c2, f.ana, "2026-03-08T15:00:00Z", "confirmed")
	d.appointment(f.ny, c1, f.ana, "2026-03-08T16:00:00Z", "completed")
	f.nyCancelled = d.appointment(f.ny, c3, f.ben, "2026-03-08T17:00:00Z", "cancelled")
	// 21:00 on the 8th in New York, already the 9th in UTC.
	f.nyNoShow = d.appointment(f.ny, c3, f.ben, "2026-03-09T01:00:00Z", "no_show")
	d.appointment(f.ny, c2, 0, "2026-03-08T20:00:00Z", "completed") // no technician
	// 23:30 on the 7th in New York (still EST), the 8th in UTC: not that day.
	d.appointment(f.ny, c1, f.ana, "2026-03-08T04:30:00Z", "booked")
	// Midnight of the 9th in New York (EDT): a 24-hour day would take it.
	f.nyOutside = d.appointment(f.ny, c1, f.ana, "2026-03-09T04:00:00Z", "booked")
	d.appointment(f.ny, c2, f.cara, "2026-03-10T15:00:00Z", "booked") // Cara works another day

	// 00:30 on the 8th in Tokyo, the 7th in UTC: that day.
	d.appointment(f.tokyo, k1, f.kenji, "2026-03-07T15:30:00Z", "completed")
	d.appointment(f.tokyo, k2, f.kenji, "2026-03-08T14:59:00Z", "booked")
	d.appointment(f.tokyo, k1, f.kenji, "2026-03-08T15:00:00Z", "cancelled") // the 9th in Tokyo
	return f
}

func TestDailyStatsAggregatesLocalDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDB(t)
	f := newStatsFixture(d)
	h := &maintenance.Maintenance{Pool: d.pool}

	const day = "2026-03-08"
	want := []statRow{
		{SalonID: f.ny, StatDate: day, Booked: 2, Completed: 2, Cancelled: 1, NoShow: 1, DistinctCustomers: 3},
		{SalonID: f.ny, StatDate: day, TechnicianID: &f.ana, Booked: 2, Completed: 1, DistinctCustomers: 2},
		{SalonID: f.ny, StatDate: day, TechnicianID: &f.ben, Cancelled: 1, NoShow: 1, DistinctCustomers: 1},
		{SalonID: f.tokyo, StatDate: day, Booked: 1, Completed: 1, DistinctCustomers: 2},
		{SalonID: f.tokyo, StatDate: day, TechnicianID: &f.kenji, Booked: 1, Completed: 1, DistinctCustomers: 2},
		{SalonID: f.quiet, StatDate: day},
	}
	res, err := h.DailyStatsFor(ctx, day)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	first := d.stats()
	if diff := cmp.Diff(want, withoutIDs(first)); diff != "" {
		t.Fatalf("daily_stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(maintenance.StatsResult{Date: day, Salons: 3, Rows: 6}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}

	// Recomputing over the same appointments updates the same rows in place.
	if _, err := h.DailyStatsFor(ctx, day); err != nil {
		t.Fatalf("recompute: %v", err)
	}
	if diff := cmp.Diff(first, d.stats()); diff != "" {
		t.Errorf("recompute changed the rows (-first +second):\n%s", diff)
	}

	// The API changes the day: a booking is cancelled, Ben's appointments go
	// to Ana, and the midnight appointment moves into the day.
	d.exec("UPDATE appointments SET status = 'cancelled' WHERE id = $1", f.nyBooked)
	d.exec("UPDATE appointments SET technician_id = $1 WHERE id = ANY($2)", f.ana, []int64{f.nyCancelled, f.nyNoShow})
	d.exec("UPDATE appointments SET starts_at = starts_at - interval '1 minute', ends_at = ends_at - interval '1 minute' WHERE id = $1", f.nyOutside)
	res, err = h.DailyStatsFor(ctx, day)
	if err != nil {
		t.Fatalf("recompute after changes: %v", err)
	}
	want[0] = statRow{SalonID: f.ny, StatDate: day, Booked: 2, Completed: 2, Cancelled: 2, NoShow: 1, DistinctCustomers: 3}
	want[1] = statRow{SalonID: f.ny, StatDate: day, TechnicianID: &f.ana, Booked: 2, Completed: 1, Cancelled: 2, NoShow: 1, DistinctCustomers: 3}
	want = append(want[:2], want[3:]...) // Ben has nothing left that day
	if diff := cmp.Diff(want, withoutIDs(d.stats())); diff != "" {
		t.Errorf("daily_stats after changes (-want +got):\n%s", diff)
	}
	if res.Removed != 1 || res.Rows != 5 {
		t.Errorf("result %+v, want 5 rows written and 1 removed", res)
	}
	if got := d.stats(); got[0].ID != first[0].ID {
		t.Errorf("the salon row was replaced (id %d, was %d), want it updated in place", got[0].ID, first[0].ID)
	}
}

func TestDailyStatsDefaultsToYesterdayInUTC(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newStatsFixture(d)
	h := &maintenance.Maintenance{Pool: d.pool,
		// 21:00 on the 8th in New York is the 9th in UTC: yesterday is the 8th.
		Clock: clock.Fixed(time.Date(2026, 3, 8, 21, 0, 0, 0, mustZone(t, "America/New_York")))}
	for _, tt := range []struct{ name, payload string }{
		{name: "empty object", payload: `{}`},
		{name: "no payload", payload: ``},
	} {
		d.exec("DELETE FROM daily_stats")
		if err := served(h, synctasks.KindDailyStats).ProcessTask(context.Background(), asynq.NewTask(synctasks.KindDailyStats, []byte(tt.payload))); err != nil {
			t.Fatalf("%s: ProcessTask: %v", tt.name, err)
		}
		got := d.stats()
		if len(got) != 6 || got[0].StatDate != "2026-03-08" || got[0].SalonID != f.ny || got[0].Booked != 2 {
			t.Errorf("%s: rows %+v, want the six rows of 2026-03-08", tt.name, got)
		}
	}
}

func TestDailyStatsSkipsSalonsWithAnUnknownTimeZone(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	good := d.salon("Good", "UTC")
	bad := d.salon("Bad", "Mars/Olympus_Mons")
	h := &maintenance.Maintenance{Pool: d.pool}
	res, err := h.DailyStatsFor(context.Background(), "2026-03-08")
	if !taskerr.IsPermanent(err) || !strings.Contains(err.Error(), "unknown time zone") {
		t.Fatalf("Run = %v, want a permanent error naming the unknown time zone", err)
	}
	if diff := cmp.Diff([]int64{bad}, res.UnknownTimeZone); diff != "" {
		t.Errorf("UnknownTimeZone (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]statRow{{SalonID: good, StatDate: "2026-03-08"}}, withoutIDs(d.stats())); diff != "" {
		t.Errorf("the other salons were not aggregated (-want +got):\n%s", diff)
	}
}
