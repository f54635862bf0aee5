package maintenance_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/internal/maintenance"
	"github.com/salonworks/jobs/internal/taskerr"
)

// salonsWithQueues inserts n salons with two technicians each in line.
func (d db) salonsWithQueues(n int) []int64 {
	d.t.Helper()
	var ids []int64
	for i := range n {
		id := d.salon(fmt.Sprintf("Salon %d", i), "UTC")
		d.queueEntry(id, d.technician(id, "First"), 1, 2, time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC))
		d.queueEntry(id, d.technician(id, "Second"), 2, 1, time.Date(2026, 3, 10, 7, 30, 0, 0, time.UTC))
		ids = append(ids, id)
	}
	return ids
}

func TestResetQueueOneBadSalonDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDB(t)
	ids := d.salonsWithQueues(3)
	bad := ids[1]
	// A database-side failure inside the bad salon's transaction, after its
	// snapshot was written: both must roll back.
	d.exec(`CREATE FUNCTION refuse_reset() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'simulated failure'; END $$`)
	d.exec(fmt.Sprintf(`CREATE TRIGGER refuse_reset BEFORE UPDATE ON technician_queue
		FOR EACH ROW WHEN (NEW.salon_id = %d) EXECUTE FUNCTION refuse_reset()`, bad))
	before := d.queue()

	log, logs := newLogger()
	h := &maintenance.Maintenance{Pool: d.pool, Logger: log}
	got, err := h.ResetQueueFor(ctx, "2026-03-10")
	if err == nil || taskerr.IsPermanent(err) {
		t.Fatalf("Run = %v, want an error that is retried", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "1 of 3 salons failed") || !strings.Contains(msg, "simulated failure") {
		t.Errorf("error %q does not count the failures and name the first", msg)
	}
	want := maintenance.ResetResult{Date: "2026-03-10", Reset: []int64{ids[0], ids[2]}, Failed: []int64{bad}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run (-want +got):\n%s", diff)
	}
	if n := logs.count(`"level":"ERROR"`, fmt.Sprintf(`"salon_id":%d`, bad), "simulated failure"); n != 1 {
		t.Errorf("the bad salon's failure is not logged with its id and error:\n%s", logs)
	}
	if n := logs.count(`"msg":"queue reset finished"`, `"salons_reset":2`, `"already_reset":0`, `"failed":1`); n != 1 {
		t.Errorf("no summary line:\n%s", logs)
	}
	if _, ok := d.snapshots()[fmt.Sprintf("%d/2026-03-10", bad)]; ok {
		t.Error("the failed salon's snapshot was kept: its transaction did not roll back")
	}
	for _, row := range d.queue() {
		if row.SalonID == bad && row.TurnsTaken == 0 {
			t.Errorf("failed salon's queue changed: %+v (before: %+v)", row, before)
		}
		if row.SalonID != bad && row.TurnsTaken != 0 {
			t.Errorf("good salon's queue not cleared: %+v", row)
		}
	}

	// Once the fault is gone, the retry resets only the salon that failed.
	d.exec("DROP TRIGGER refuse_reset ON technician_queue")
	got, err = h.ResetQueueFor(ctx, "2026-03-10")
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	want = maintenance.ResetResult{Date: "2026-03-10", Reset: []int64{bad}, AlreadyReset: []int64{ids[0], ids[2]}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("retry (-want +got):\n%s", diff)
	}
	if n := len(d.snapshots()[fmt.Sprintf("%d/2026-03-10", bad)]); n != 2 {
		t.Errorf("the retried salon's snapshot has %d entries, want 2", n)
	}
}

func TestResetQueueConcurrentRunsResetEachSalonOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDB(t)
	ids := d.salonsWithQueues(6)
	h := &maintenance.Maintenance{Pool: d.pool}

	const runs = 4
	results := make([]maintenance.ResetResult, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			var err error
			if results[i], err = h.ResetQueueFor(ctx, "2026-03-10"); err != nil {
				t.Errorf("run %d: %v", i, err)
			}
		})
	}
	wg.Wait()

	resets := map[int64]int{}
	already := 0
	for _, r := range results {
		for _, id := range r.Reset {
			resets[id]++
		}
		already += len(r.AlreadyReset)
	}
	for _, id := range ids {
		if resets[id] != 1 {
			t.Errorf("salon %d reset by %d runs, want exactly 1", id, resets[id])
		}
	}
	if want := (runs - 1) * len(ids); already != want {
		t.Errorf("%d salons reported already reset across runs, want %d", already, want)
	}
	snaps := d.snapshots()
	if len(snaps) != len(ids) {
		t.Errorf("%d snapshots, want one per salon (%d)", len(snaps), len(ids))
	}
	for key, entries := range snaps {
		// Each kept snapshot holds the queue before the reset, not the
		// cleared queue a losing run would have seen.
		var turns []int
		for _, e := range entries {
			turns = append(turns, e.TurnsTaken)
		}
		if diff := cmp.Diff([]int{2, 1}, turns); diff != "" {
			t.Errorf("snapshot %s turns (-want +got):\n%s", key, diff)
		}
	}
}
