package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
)

// failing is a go-redis hook that fails the named commands while on, as a
// lost connection would.
type failing struct {
	on       atomic.Bool
	commands []string
}

func (f *failing) match(cmd redis.Cmder) bool {
	if !f.on.Load() {
		return false
	}
	name := strings.ToLower(cmd.Name())
	for _, c := range f.commands {
		if name == c {
			return true
		}
	}
	return false
}

var errInjected = errors.New("injected: connection reset by peer")

func (f *failing) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (f *failing) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if f.match(cmd) {
			cmd.SetErr(errInjected)
			return errInjected
		}
		return next(ctx, cmd)
	}
}

func (f *failing) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if f.match(c) {
				for _, c := range cmds {
					c.SetErr(errInjected)
				}
				return errInjected
			}
		}
		return next(ctx, cmds)
	}
}

// failingClient returns a client of its own on r's database with hook f.
func failingClient(t *testing.T, r *testenv.Redis, f *failing) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr, DB: r.DB})
	c.AddHook(f)
	t.Cleanup(func() { c.Close() })
	return c
}

// sendMixed appends n entries, every other one with an idempotency key,
// and returns the task ID each must become.
func sendMixed(t *testing.T, r *testenv.Redis, prefix string, n int) []string {
	t.Helper()
	want := make([]string, n)
	for i := range n {
		payload := fmt.Sprintf(`{"upload_id":%d}`, i+1)
		if i%2 == 0 {
			key := fmt.Sprintf("%s:%d", prefix, i)
			xadd(t, r.Client, "kind", "upload:process", "payload", payload, "idempotency_key", key)
			want[i] = ingest.TaskIDForKey(key)
		} else {
			want[i] = ingest.TaskIDForEntry(xadd(t, r.Client, "kind", "upload:process", "payload", payload))
		}
	}
	return want
}

func TestEntriesOfAKilledConsumerAreClaimed(t *testing.T) {
	t.Parallel()
	r, insp := redisFor(t)
	ctx := context.Background()
	if err := r.Client.XGroupCreateMkStream(ctx, ingest.Stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	// A consumer reads 20 entries and dies before enqueueing any.
	want := sendMixed(t, r, "before-enqueue", 20)
	if err := r.Client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "killed-early",
		Streams: []string{ingest.Stream, ">"}, Count: 100}).Err(); err != nil {
		t.Fatal(err)
	}
	read := time.Now()
	// A real bridge enqueues 20 more but dies before its XACK lands.
	noAck := &failing{commands: []string{"xack"}}
	noAck.on.Store(true)
	killed, _ := newBridge(t, failingClient(t, r, noAck), func(c *ingest.Config) { c.Consumer = "killed-late" })
	want = append(want, sendMixed(t, r, "before-ack", 20)...)
	startBridge(t, killed)
	testenv.WaitFor(t, 10*time.Second, "the doomed bridge to enqueue", func() bool {
		return len(queueTasks(t, insp, queues.Uploads)) == 20
	})
	killed.Shutdown()
	if st, _ := killed.State(ctx); st.Pending != 40 {
		t.Fatalf("pending = %d before the takeover, want 40", st.Pending)
	}

	heir, reg := newBridge(t, r.Client, func(c *ingest.Config) {
		c.Consumer = "heir"
		c.ClaimIdle = 300 * time.Millisecond
		c.ClaimInterval = 50 * time.Millisecond
	})
	startBridge(t, heir)
	waitSettled(t, heir, 15*time.Second)
	if elapsed := time.Since(read); elapsed < 300*time.Millisecond {
		t.Errorf("entries taken over after %s, before ClaimIdle", elapsed)
	}
	tasks := queueTasks(t, insp, queues.Uploads)
	if len(tasks) != len(want) {
		t.Errorf("%d tasks, want exactly %d", len(tasks), len(want))
	}
	for _, id := range want {
		if _, err := insp.GetTaskInfo(queues.Uploads, id); err != nil {
			t.Errorf("task %s: %v", id, err)
		}
	}
	if got := counter(t, reg, ingest.OutcomeEnqueued); got != 20 {
		t.Errorf("heir enqueued %v, want the 20 never enqueued", got)
	}
	if got := counter(t, reg, ingest.OutcomeDuplicate); got != 20 {
		t.Errorf("heir found %v duplicates, want the 20 enqueued but not acknowledged", got)
	}
}

func TestRedisErrorLeavesEntriesPending(t *testing.T) {
	t.Parallel()
	r, insp := redisFor(t)
	down := &failing{commands: []string{"evalsha", "eval"}} // asynq's enqueue scripts
	down.on.Store(true)
	b, reg := newBridge(t, failingClient(t, r, down), func(c *ingest.Config) {
		c.ClaimIdle = 300 * time.Millisecond
		c.ClaimInterval = 50 * time.Millisecond
	})
	startBridge(t, b)
	want := sendMixed(t, r, "outage", 6)
	testenv.WaitFor(t, 10*time.Second, "the failed enqueues", func() bool { return counter(t, reg, ingest.OutcomeFailed) >= 6 })
	st, err := b.State(context.Background())
	if err != nil || st.Pending != 6 {
		t.Fatalf("state %+v, %v; want 6 entries pending", st, err)
	}
	if got := counter(t, reg, ingest.OutcomeDead); got != 0 {
		t.Errorf("dead = %v: a Redis error must not dead-letter", got)
	}

	down.on.Store(false)
	waitSettled(t, b, 10*time.Second)
	for _, id := range want {
		if _, err := insp.GetTaskInfo(queues.Uploads, id); err != nil {
			t.Errorf("task %s: %v", id, err)
		}
	}
	if n := len(queueTasks(t, insp, queues.Uploads)); n != len(want) {
		t.Errorf("%d tasks, want %d", n, len(want))
	}
	if got := counter(t, reg, ingest.OutcomeEnqueued); got != 6 {
		t.Errorf("enqueued = %v, want 6", got)
	}
}
