package queueset

import (
	"context"
	"slices"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
)

// TestEmptyQueuesAreListed starts from an empty database, as a first
// deployment does: after Register, asynq's inspector (what asynqmon
// reads) lists the five queues and describes each, though none has ever
// had a task.
func TestEmptyQueuesAreListed(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, DB: r.DB})
	t.Cleanup(func() { rdb.Close() })
	insp := asynq.NewInspector(r.ConnOpt())
	t.Cleanup(func() { insp.Close() })

	if got, err := insp.Queues(); err != nil || len(got) != 0 {
		t.Fatalf("before: Queues() = %v, %v; want none", got, err)
	}
	for range 2 { // idempotent
		if err := Register(context.Background(), rdb); err != nil {
			t.Fatal(err)
		}
	}
	got, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := queues.Names()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Queues() = %v, want %v", got, want)
	}
	for _, q := range want {
		info, err := insp.GetQueueInfo(q)
		if err != nil {
			t.Errorf("GetQueueInfo(%s): %v", q, err)
			continue
		}
		if info.Size != 0 || info.Paused {
			t.Errorf("%s: size %d, paused %v; want an empty running queue", q, info.Size, info.Paused)
		}
	}
}
