package ingest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
)

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	t.Parallel()
	_, err := ingest.New(ingest.Config{Batch: -1})
	if err == nil {
		t.Fatal("New accepted an empty config")
	}
	for _, want := range []string{"Redis client", "consumer group", "logger", "must not be negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestStreamDeletedUnderTheBridge(t *testing.T) {
	t.Parallel()
	r, insp := redisFor(t)
	b, _ := newBridge(t, r.Client, nil)
	startBridge(t, b)
	// Someone deletes the stream, group included; producers go on.
	if err := r.Client.Del(context.Background(), ingest.Stream).Err(); err != nil {
		t.Fatal(err)
	}
	id := xadd(t, r.Client, "kind", "report:generate", "payload", `{"report_id":5}`)
	testenv.WaitFor(t, 10*time.Second, "the group to be recreated and the entry enqueued", func() bool {
		_, err := insp.GetTaskInfo(queues.Reports, ingest.TaskIDForEntry(id))
		return err == nil
	})
	waitSettled(t, b, 5*time.Second)
}

func TestShutdownFinishesTheBatchInHand(t *testing.T) {
	t.Parallel()
	r, insp := redisFor(t)
	b, _ := newBridge(t, r.Client, nil)
	f := streamFixture{t: t, rdb: r.Client}
	f.add(2000)
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 10*time.Second, "the first tasks", func() bool {
		n, err := insp.GetQueueInfo(queues.Uploads)
		return err == nil && n.Size > 0
	})
	b.Shutdown()
	st, err := b.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 0 {
		t.Errorf("%d entries left pending by a clean shutdown, want none", st.Pending)
	}
	info, err := insp.GetQueueInfo(queues.Uploads)
	if err != nil {
		t.Fatal(err)
	}
	if int64(info.Size)+st.Lag != 2000 {
		t.Errorf("%d tasks and %d entries still undelivered, want 2000 in all", info.Size, st.Lag)
	}
}

func TestIdleConsumersWithoutPendingAreRemoved(t *testing.T) {
	t.Parallel()
	r, _ := redisFor(t)
	f := streamFixture{t: t, rdb: r.Client}
	f.group(group)
	f.add(3)
	f.read(group, "stopped-task", 2, true) // read and acknowledged: nothing pending
	f.read(group, "crashed-task", 1, false)
	testenv.WaitFor(t, 10*time.Second, "stopped-task to be idle for 200 ms", func() bool {
		cs, err := r.Client.XInfoConsumers(context.Background(), ingest.Stream, group).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Name == "stopped-task" {
				return c.Idle > 200*time.Millisecond
			}
		}
		return false
	})
	b, _ := newBridge(t, r.Client, func(c *ingest.Config) {
		c.ConsumerIdle = 200 * time.Millisecond
		c.ClaimIdle = time.Hour // keep crashed-task's entry where it is
	})
	startBridge(t, b)
	testenv.WaitFor(t, 10*time.Second, "stopped-task to be removed", func() bool {
		cs, err := r.Client.XInfoConsumers(context.Background(), ingest.Stream, group).Result()
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, c := range cs {
			names[c.Name] = true
		}
		if !names["crashed-task"] {
			t.Fatal("crashed-task, holding a pending entry, was removed")
		}
		return !names["stopped-task"]
	})
}
