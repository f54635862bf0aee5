package ingest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
)

// TestNewGroupDoesNotReplay: REDIS_STREAM_CONSUMER_GROUP is changed, then
// the new group is lost and recreated. Neither time does the retained,
// acknowledged backlog become tasks again (their tasks are long gone), and
// the old group, left behind with entries it never read, is reported
// abandoned.
func TestNewGroupDoesNotReplay(t *testing.T) {
	t.Parallel()
	r, insp := redisFor(t)
	ctx := context.Background()
	report := func(n int) string {
		return xadd(t, r.Client, "kind", "report:generate", "payload", fmt.Sprintf(`{"report_id":%d}`, n))
	}
	tasks := func() int { return len(queueTasks(t, insp, queues.Reports)) }
	forget := func() {
		t.Helper()
		// The tasks completed and their retention passed.
		if _, err := insp.DeleteAllPendingTasks(queues.Reports); err != nil {
			t.Fatal(err)
		}
	}

	old, _ := newBridge(t, r.Client, func(c *ingest.Config) { c.Group = "old-group" })
	startBridge(t, old)
	for i := range 20 {
		report(i)
	}
	waitSettled(t, old, 10*time.Second)
	old.Shutdown()
	forget()

	b, _ := newBridge(t, r.Client, func(c *ingest.Config) {
		c.ConsumerIdle = 200 * time.Millisecond
		c.TrimInterval = 50 * time.Millisecond
	})
	startBridge(t, b)
	newest := report(100)
	testenv.WaitFor(t, 10*time.Second, "the new entry's task", func() bool { return tasks() == 1 })
	waitSettled(t, b, 5*time.Second)
	if n := tasks(); n != 1 {
		t.Fatalf("the renamed group made %d tasks, want only the new entry's", n)
	}
	testenv.WaitFor(t, 10*time.Second, "the old group to be reported abandoned", func() bool {
		names, err := b.Abandoned(ctx)
		return err == nil && len(names) == 1 && names[0] == "old-group"
	})
	// Its backlog is the old group's problem, not the live one's.
	if names, _ := b.Abandoned(ctx); len(names) != 1 {
		t.Errorf("abandoned groups = %v, want only old-group", names)
	}

	// Both groups go; the bridge recreates its own from the recorded mark.
	testenv.WaitFor(t, 5*time.Second, "the handled mark to pass the abandoned group", func() bool {
		mark, err := r.Client.Get(ctx, ingest.HandledKey).Result()
		return err == nil && mark == newest
	})
	for _, g := range []string{"old-group", group} {
		if err := r.Client.XGroupDestroy(ctx, ingest.Stream, g).Err(); err != nil {
			t.Fatal(err)
		}
	}
	forget()
	last := report(101)
	testenv.WaitFor(t, 10*time.Second, "the entry after the group was lost", func() bool {
		_, err := insp.GetTaskInfo(queues.Reports, ingest.TaskIDForEntry(last))
		return err == nil
	})
	waitSettled(t, b, 5*time.Second)
	if n := tasks(); n != 1 {
		t.Errorf("the recreated group made %d tasks, want only the newest entry's", n)
	}
}
