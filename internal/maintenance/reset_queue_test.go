package maintenance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/maintenance"
	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/tasks/salon"
)

type queueRow struct {
	SalonID, TechnicianID int64
	Position              *int
	TurnsTaken            int
	CheckedInAt           *time.Time
}

func (d db) queue() []queueRow {
	d.t.Helper()
	rows, _ := d.pool.Query(context.Background(), `SELECT salon_id, technician_id, position, turns_taken, checked_in_at
		FROM technician_queue ORDER BY salon_id, technician_id`)
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[queueRow])
	if err != nil {
		d.t.Fatalf("read queue: %v", err)
	}
	return got
}

// snapshots returns every snapshot by "salon id/date".
func (d db) snapshots() map[string][]maintenance.QueueSnapshotEntry {
	d.t.Helper()
	rows, _ := d.pool.Query(context.Background(), "SELECT salon_id, reset_date::text, snapshot FROM queue_reset_snapshots")
	out := map[string][]maintenance.QueueSnapshotEntry{}
	var salonID int64
	var date string
	var raw []byte
	_, err := pgx.ForEachRow(rows, []any{&salonID, &date, &raw}, func() error {
		var entries []maintenance.QueueSnapshotEntry
		err := json.Unmarshal(raw, &entries)
		out[fmt.Sprintf("%d/%s", salonID, date)] = entries
		return err
	})
	if err != nil {
		d.t.Fatalf("read snapshots: %v", err)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestResetQueueTwiceForOneDateChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDB(t)
	seeded := time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)
	report, err := postgres.Seed(ctx, d.pool, seeded)
	if err != nil {
		t.Fatal(err)
	}
	demo := report.SalonID
	tech := func(name string) int64 {
		return d.id("SELECT id FROM technicians WHERE salon_id = $1 AND name = $2", demo, name)
	}
	alex, sam, jordan := tech("Alex Rivera"), tech("Sam Chen"), tech("Jordan Lee")
	corner := d.salon("Walk-in Corner", "Europe/Paris")
	lee, pat := d.technician(corner, "Lee"), d.technician(corner, "Pat")
	d.queueEntry(corner, lee, 1, 3, time.Date(2026, 3, 10, 6, 15, 0, 0, time.UTC))
	d.queueEntry(corner, pat, 0, 1, time.Time{})
	empty := d.salon("No Walk-ins", "UTC")

	log, logs := newLogger()
	h := &maintenance.Maintenance{Pool: d.pool, Logger: log,
		// 21:30 in New York on the 9th is already the 10th in UTC.
		Clock: clock.Fixed(time.Date(2026, 3, 9, 21, 30, 0, 0, mustZone(t, "America/New_York")))}
	if err := served(h, salon.KindResetQueue).ProcessTask(ctx, asynq.NewTask(salon.KindResetQueue, []byte(`{}`))); err != nil {
		t.Fatalf("first run: %v", err)
	}

	checkedIn := seeded.Add(-2 * time.Hour)
	wantSnapshots := map[string][]maintenance.QueueSnapshotEntry{
		fmt.Sprintf("%d/2026-03-10", demo): {
			{TechnicianID: alex, Name: "Alex Rivera", Position: ptr(1), TurnsTaken: 2, CheckedInAt: &checkedIn},
			{TechnicianID: sam, Name: "Sam Chen", Position: ptr(2), TurnsTaken: 1, CheckedInAt: &checkedIn},
			{TechnicianID: jordan, Name: "Jordan Lee", Position: ptr(3), TurnsTaken: 0, CheckedInAt: &checkedIn},
		},
		fmt.Sprintf("%d/2026-03-10", corner): {
			{TechnicianID: lee, Name: "Lee", Position: ptr(1), TurnsTaken: 3, CheckedInAt: ptr(time.Date(2026, 3, 10, 6, 15, 0, 0, time.UTC))},
			{TechnicianID: pat, Name: "Pat", TurnsTaken: 1},
		},
		fmt.Sprintf("%d/2026-03-10", empty): {},
	}
	if diff := cmp.Diff(wantSnapshots, d.snapshots()); diff != "" {
		t.Errorf("snapshots after the first run (-want +got):\n%s", diff)
	}
	cleared := []queueRow{{SalonID: demo, TechnicianID: alex}, {SalonID: demo, TechnicianID: sam},
		{SalonID: demo, TechnicianID: jordan}, {SalonID: corner, TechnicianID: lee}, {SalonID: corner, TechnicianID: pat}}
	if diff := cmp.Diff(cleared, d.queue()); diff != "" {
		t.Errorf("queue after the first run (-want +got):\n%s", diff)
	}

	// The day goes on: Lee checks in again. A second run for the same date
	// must neither clear that nor replace the snapshot.
	d.exec("UPDATE technician_queue SET position = 1, turns_taken = 1, checked_in_at = $2 WHERE technician_id = $1",
		lee, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	before := d.queue()
	got, err := h.ResetQueueFor(ctx, "2026-03-10")
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	want := maintenance.ResetResult{Date: "2026-03-10", AlreadyReset: []int64{demo, corner, empty}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, d.queue()); diff != "" {
		t.Errorf("second run changed the queue (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantSnapshots, d.snapshots()); diff != "" {
		t.Errorf("second run changed the snapshots (-want +got):\n%s", diff)
	}
	if n := logs.count(`"msg":"queue already reset"`, `"date":"2026-03-10"`); n != 3 {
		t.Errorf("%d \"already reset\" log lines, want 3:\n%s", n, logs)
	}
	if n := logs.count(`"msg":"queue reset finished"`, `"salons_reset":0`, `"already_reset":3`, `"failed":0`); n != 1 {
		t.Errorf("no summary line of the second run:\n%s", logs)
	}

	// The next day resets again.
	got, err = h.ResetQueueFor(ctx, "2026-03-11")
	if err != nil {
		t.Fatalf("next day: %v", err)
	}
	if diff := cmp.Diff(maintenance.ResetResult{Date: "2026-03-11", Reset: []int64{demo, corner, empty}}, got); diff != "" {
		t.Errorf("next day (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cleared, d.queue()); diff != "" {
		t.Errorf("queue after the next day's reset (-want +got):\n%s", diff)
	}
	snaps := d.snapshots()
	if len(snaps) != 6 {
		t.Errorf("%d snapshots, want 6 (3 salons × 2 days)", len(snaps))
	}
	wantLee := []maintenance.QueueSnapshotEntry{
		{TechnicianID: lee, Name: "Lee", Position: ptr(1), TurnsTaken: 1, CheckedInAt: ptr(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))},
		{TechnicianID: pat, Name: "Pat"},
	}
	if diff := cmp.Diff(wantLee, snaps[fmt.Sprintf("%d/2026-03-11", corner)]); diff != "" {
		t.Errorf("next day's snapshot of %d (-want +got):\n%s", corner, diff)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestResetQueueRefusesBadPayload(t *testing.T) {
	t.Parallel()
	h := served(&maintenance.Maintenance{}, salon.KindResetQueue) // never reaches the database
	for _, tt := range []struct{ name, payload string }{
		{name: "impossible date", payload: `{"date":"2026-02-30"}`},
		{name: "timestamp", payload: `{"date":"2026-03-10T08:00:00Z"}`},
		{name: "unknown field", payload: `{"day":"2026-03-10"}`},
		{name: "not JSON", payload: `{`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := h.ProcessTask(context.Background(), asynq.NewTask(salon.KindResetQueue, []byte(tt.payload)))
			if !taskerr.IsPermanent(err) || !strings.Contains(err.Error(), "invalid salon:reset_queue payload") {
				t.Errorf("ProcessTask(%s) = %v, want a permanent invalid payload error", tt.payload, err)
			}
		})
	}
}
