package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/internal/taskinfo"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
)

// batchCase is a task and what its handler does.
type batchCase struct {
	id      string
	opts    []asynq.Option
	headers map[string]string
	run     func(ctx context.Context, t *asynq.Task) error
}

func batchCases() []batchCase {
	return []batchCase{
		{id: "ok-kept", run: func(ctx context.Context, t *asynq.Task) error {
			_, err := taskinfo.Result(ctx, t).Write([]byte("result of " + t.Type()))
			return err
		}},
		{id: "ok-not-kept", opts: []asynq.Option{asynq.Retention(0)}},
		{id: "fails", run: func(context.Context, *asynq.Task) error { return errors.New("smtp said no") }},
		{id: "fails-again", opts: []asynq.Option{asynq.MaxRetry(0)}, run: func(context.Context, *asynq.Task) error {
			return errors.New("last try failed")
		}},
		{id: "permanent", run: func(context.Context, *asynq.Task) error {
			return taskerr.Permanent("no such salon", errors.New("404"))
		}},
		{id: "rate-limited", run: func(context.Context, *asynq.Task) error {
			return taskerr.RateLimited(7*time.Second, errors.New("429"))
		}},
		{id: "panics", run: func(context.Context, *asynq.Task) error {
			panic("boom")
		}},
		{id: "revoked", run: func(context.Context, *asynq.Task) error { return asynq.RevokeTask }},
		{id: "times-out", opts: []asynq.Option{asynq.Timeout(time.Second)}, run: func(ctx context.Context, _ *asynq.Task) error {
			<-ctx.Done()
			return ctx.Err()
		}},
		{id: "headers", headers: map[string]string{"traceparent": "00-abc-def-01"}, run: func(_ context.Context, t *asynq.Task) error {
			if t.Headers()["traceparent"] != "00-abc-def-01" {
				return fmt.Errorf("headers %v", t.Headers())
			}
			return nil
		}},
	}
}

// The batch fetcher leaves Redis as asynq's server does: the same tasks,
// run by the same handlers on a queue served by asynq's server and on one
// served by the batch fetcher alone, end in the same states, with the same
// retries, errors, results and retention, and the same counters; the
// handlers see the same task ID, queue and retries.
func TestBatchFetcherMatchesAsynq(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	// Backoff of 1 s exactly: BackoffBase 1 s draws no jitter.
	qa, qb := wideQueue("viaasynq", 2, time.Hour), wideQueue("viabatch", 2, time.Hour)
	cases := batchCases()
	var mu sync.Mutex
	seen := map[string]string{} // queue/id → what taskinfo told the handler
	var ran sync.WaitGroup
	ran.Add(2 * len(cases))
	handler := asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		defer ran.Done()
		id, _ := taskinfo.ID(ctx)
		queue, _ := taskinfo.Queue(ctx)
		retried, _ := taskinfo.RetryCount(ctx)
		maxRetry, _ := taskinfo.MaxRetry(ctx)
		_, hasDeadline := ctx.Deadline()
		mu.Lock()
		seen[queue+"/"+id] = fmt.Sprintf("retried %d of %d, deadline %v", retried, maxRetry, hasDeadline)
		mu.Unlock()
		for _, c := range cases {
			if c.id == id && c.run != nil {
				return c.run(ctx, t)
			}
		}
		return nil
	})
	c := asynq.NewClientFromRedisClient(r.Client)
	for _, q := range []queues.Queue{qa, qb} {
		for _, tc := range cases {
			opts := append(q.Options(), asynq.TaskID(tc.id))
			opts = append(opts, tc.opts...)
			if _, err := c.Enqueue(asynq.NewTaskWithHeaders("test:batch", []byte(`{}`), tc.headers), opts...); err != nil {
				t.Fatal(err)
			}
		}
	}

	srv := asynq.NewServerFromRedisClient(r.Client, asynq.Config{
		Concurrency: qa.Concurrency, Queues: map[string]int{qa.Name: 1}, TaskCheckInterval: 20 * time.Millisecond,
		RetryDelayFunc: retryDelay(qa), IsFailure: isFailure, LogLevel: asynq.FatalLevel,
		// No second attempts: the comparison is of the first.
		DelayedTaskCheckInterval: time.Hour,
	})
	if err := srv.Start(handler); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	b := testFetcher(qb, r.Client, handler)
	b.start()
	testenv.WaitGroup(t, &ran, 20*time.Second)
	b.shutdown(5 * time.Second)
	srv.Shutdown()

	insp := asynq.NewInspectorFromRedisClient(r.Client)
	for _, tc := range cases {
		a, aerr := insp.GetTaskInfo(qa.Name, tc.id)
		got, berr := insp.GetTaskInfo(qb.Name, tc.id)
		if errors.Is(berr, asynq.ErrTaskNotFound) != errors.Is(aerr, asynq.ErrTaskNotFound) {
			t.Errorf("%s: batch fetcher's task: error %v; asynq's: %v", tc.id, berr, aerr)
			continue
		}
		if aerr != nil {
			if !errors.Is(aerr, asynq.ErrTaskNotFound) {
				t.Fatal(aerr)
			}
			continue // gone from both
		}
		want := describe(a)
		if have := describe(got); have != want {
			t.Errorf("%s:\n batch fetcher: %s\n asynq server:  %s", tc.id, have, want)
		}
		if d := got.NextProcessAt.Sub(a.NextProcessAt); d < -2*time.Second || d > 2*time.Second {
			t.Errorf("%s: next attempt at %v by the batch fetcher, %v by asynq", tc.id, got.NextProcessAt, a.NextProcessAt)
		}
		if mu.Lock(); seen[qb.Name+"/"+tc.id] != seen[qa.Name+"/"+tc.id] {
			t.Errorf("%s: the handler saw %q from the batch fetcher, %q from asynq", tc.id, seen[qb.Name+"/"+tc.id], seen[qa.Name+"/"+tc.id])
		}
		mu.Unlock()
	}
	sa, err := insp.GetQueueInfo(qa.Name)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := insp.GetQueueInfo(qb.Name)
	if err != nil {
		t.Fatal(err)
	}
	counts := func(s *asynq.QueueInfo) string {
		return fmt.Sprintf("pending %d active %d retry %d archived %d completed %d; processed %d failed %d (today %d/%d)",
			s.Pending, s.Active, s.Retry, s.Archived, s.Completed, s.ProcessedTotal, s.FailedTotal, s.Processed, s.Failed)
	}
	if counts(sb) != counts(sa) {
		t.Errorf("queue counts:\n batch fetcher: %s\n asynq server:  %s", counts(sb), counts(sa))
	}
	if sa.Retry == 0 || sa.Archived == 0 || sa.Completed == 0 {
		t.Errorf("the cases should end in retry, archived and completed: %s", counts(sa))
	}
}

// describe is what the two must agree on of a task.
func describe(i *asynq.TaskInfo) string {
	return fmt.Sprintf("state %s, retried %d of %d, last error %q, result %q, retention %v, completed %v, failed at set %v",
		i.State, i.Retried, i.MaxRetry, i.LastErr, i.Result, i.Retention, !i.CompletedAt.IsZero(), !i.LastFailedAt.IsZero())
}

// A long task keeps its lease: the batch fetcher extends it while the
// handler runs, so asynq's recoverer never takes the task from under it.
func TestBatchFetcherExtendsLeases(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := wideQueue("leases", 1, 0)
	release := make(chan struct{})
	started := make(chan struct{})
	h := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		close(started)
		<-release
		return nil
	})
	c := asynq.NewClientFromRedisClient(r.Client)
	info, err := c.Enqueue(asynq.NewTask("test:long", nil), append(q.Options(), asynq.Retention(time.Hour))...)
	if err != nil {
		t.Fatal(err)
	}
	b := testFetcher(q, r.Client, h)
	b.leaseFor, b.leaseEvery = 2*time.Second, 200*time.Millisecond
	b.start()
	<-started
	lease := func() float64 {
		s, err := r.Client.ZScore(context.Background(), keysOf(q.Name).lease, info.ID).Result()
		if err != nil {
			t.Fatalf("task %s has no lease: %v", info.ID, err)
		}
		return s
	}
	first := lease()
	time.Sleep(3 * time.Second) // longer than one lease
	if later := lease(); later <= first {
		t.Errorf("lease end %v after 3 s, %v at the start: not extended", later, first)
	}
	// What the dashboard lists: the task active, not orphaned.
	active, err := asynq.NewInspectorFromRedisClient(r.Client).ListActiveTasks(q.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].ID != info.ID || active[0].IsOrphaned {
		t.Errorf("active tasks as the dashboard reads them: %+v, want %s, not orphaned", active, info.ID)
	}
	close(release)
	b.shutdown(5 * time.Second)
	got, err := asynq.NewInspectorFromRedisClient(r.Client).GetTaskInfo(q.Name, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != asynq.TaskStateCompleted {
		t.Errorf("task that outlived its first lease: %s (last error %q), want completed", got.State, got.LastErr)
	}
}

// A paused queue gives the batch fetcher nothing; resumed, it does.
func TestBatchFetcherHonoursPause(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := wideQueue("paused", 1, 0)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	c := asynq.NewClientFromRedisClient(r.Client)
	if _, err := c.Enqueue(asynq.NewTask("test:x", nil), append(q.Options(), asynq.TaskID("x"), asynq.Retention(time.Hour))...); err != nil {
		t.Fatal(err)
	}
	if err := insp.PauseQueue(q.Name); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{}, 1)
	h := asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		ran <- struct{}{}
		return nil
	})
	b := testFetcher(q, r.Client, h)
	b.start()
	defer b.shutdown(5 * time.Second)
	select {
	case <-ran:
		t.Fatal("a task of a paused queue ran")
	case <-time.After(500 * time.Millisecond):
	}
	if err := insp.UnpauseQueue(q.Name); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the resumed queue's task did not run")
	}
}

// A task message asynq wrote reads back whole, and what the batch fetcher
// writes back keeps every field it does not change.
func TestTaskMessageRoundTrip(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	c := asynq.NewClientFromRedisClient(r.Client)
	info, err := c.Enqueue(asynq.NewTaskWithHeaders("test:msg", []byte(`{"a":1}`), map[string]string{"k": "v"}),
		asynq.Queue("msgq"), asynq.TaskID("m1"), asynq.MaxRetry(4), asynq.Timeout(90*time.Second),
		asynq.Deadline(time.Unix(4102444800, 0)), asynq.Retention(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := r.Client.HGet(context.Background(), keysOf("msgq").taskPrefix+info.ID, "msg").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeTaskMsg(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%s %s %s %s retry %d/%d timeout %d deadline %d retention %d headers %v",
		m.Type, m.Payload, m.ID, m.Queue, m.Retried, m.Retry, m.Timeout, m.Deadline, m.Retention, m.Headers)
	want := `test:msg {"a":1} m1 msgq retry 0/4 timeout 90 deadline 4102444800 retention 7200 headers map[k:v]`
	if got != want {
		t.Errorf("decoded %s\nwant    %s", got, want)
	}
	again, err := decodeTaskMsg(m.failed(3, "boom", 1700000000))
	if err != nil {
		t.Fatal(err)
	}
	if again.Retried != 3 || again.Retry != 4 || string(again.Payload) != `{"a":1}` || again.Headers["k"] != "v" || again.Deadline != m.Deadline {
		t.Errorf("after failed(): %+v", again)
	}
	if _, err := decodeTaskMsg([]byte{0xff, 0xff}); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("garbage decoded: err %v", err)
	}
}

// When the process running a batch fetcher dies, no task is lost: the
// tasks it finished stay completed, and the ones it was running come back
// once their lease runs out, through asynq's recoverer in whichever worker
// serves the queue next.
func TestBatchFetcherTasksOutliveIt(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := wideQueue("orphans", 3, time.Hour)
	const n = 30
	enqueueNamed(t, r, q, "test:work", "w%02d", n)
	var mu sync.Mutex
	runs := map[string]int{}
	done, stuck := map[string]bool{}, map[string]bool{}
	// The dying process: its own connection, ten tasks done, then every
	// slot stuck in a handler when it dies.
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	var allStuck sync.WaitGroup
	allStuck.Add(q.BatchSlots())
	first := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		id, _ := taskinfo.ID(ctx)
		mu.Lock()
		runs[id]++
		if len(done) < 10 {
			done[id] = true
			mu.Unlock()
			return nil
		}
		stuck[id] = true
		mu.Unlock()
		allStuck.Done()
		<-hang
		return nil
	})
	own := redis.NewClient(r.Client.Options())
	b := testFetcher(q, own, first)
	b.leaseFor, b.leaseEvery = 2*time.Second, 200*time.Millisecond
	b.start()
	testenv.WaitGroup(t, &allStuck, 20*time.Second)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	testenv.WaitFor(t, 10*time.Second, "the ten tasks done to be recorded", func() bool {
		info, err := insp.GetQueueInfo(q.Name)
		return err == nil && info.Completed == 10
	})
	own.Close() // the process dies: nothing more of it reaches Redis

	// The next worker, a minute later: an asynq server on the queue, whose
	// recoverer takes (at its start, then every minute) the tasks whose
	// lease ran out 30 s ago or more. The minute passes by moving the dead
	// process's leases back by it.
	time.Sleep(2500 * time.Millisecond) // its leases (2 s) have run out
	leases, err := r.Client.ZRangeWithScores(context.Background(), keysOf(q.Name).lease, 0, -1).Result()
	if err != nil || len(leases) != len(stuck) {
		t.Fatalf("%d leases for %d tasks running when the process died (%v)", len(leases), len(stuck), err)
	}
	for _, l := range leases {
		if l.Score > float64(time.Now().Unix()) {
			t.Errorf("task %v's lease was extended after the process died", l.Member)
		}
		l.Score -= 60
		r.Client.ZAdd(context.Background(), keysOf(q.Name).lease, l)
	}
	srv := asynq.NewServerFromRedisClient(r.Client, asynq.Config{
		Concurrency: 4, Queues: map[string]int{q.Name: 1}, TaskCheckInterval: 20 * time.Millisecond,
		DelayedTaskCheckInterval: 200 * time.Millisecond, RetryDelayFunc: retryDelay(q), IsFailure: isFailure,
		LogLevel: asynq.FatalLevel,
	})
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		id, _ := taskinfo.ID(ctx)
		mu.Lock()
		runs[id]++
		mu.Unlock()
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	testenv.WaitFor(t, 30*time.Second, "every task completed", func() bool {
		info, err := insp.GetQueueInfo(q.Name)
		return err == nil && info.Completed == n
	})
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != n || len(done) != 10 || len(stuck) != q.BatchSlots() {
		t.Fatalf("%d tasks ran (want %d), %d done and %d stuck before the process died", len(runs), n, len(done), len(stuck))
	}
	for id, k := range runs {
		want := 1 // done before the death, or never taken by the dead process
		if stuck[id] {
			want = 2 // running when it died, then recovered
		}
		if k != want {
			t.Errorf("task %s (done %v, stuck %v) ran %d times, want %d", id, done[id], stuck[id], k, want)
		}
	}
}

// A call that took tasks, made again because its answer was lost, answers
// with the same tasks and takes no more: none is left active with nobody
// running it.
func TestRepeatedCycleTakesNoMoreTasks(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := wideQueue("replay", 1, 0)
	enqueueNamed(t, r, q, "test:x", "r%d", 5)
	b := testFetcher(q, r.Client, asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil }))
	now := time.Now()
	call := func(n int, number int64) []string {
		keys, args := b.cycleArgs(nil, n, now, now.Add(time.Minute), number)
		res, err := cycleScript.Run(context.Background(), r.Client, keys, args...).Slice()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := 1; i+1 < len(res); i += 2 {
			ids = append(ids, res[i].(string))
		}
		return ids
	}
	first := call(3, 7)
	again := call(3, 7)
	if len(first) != 3 || strings.Join(again, ",") != strings.Join(first, ",") {
		t.Errorf("call 7 took %v, made again it answered %v: want the same three", first, again)
	}
	if n := r.Client.LLen(context.Background(), keysOf(q.Name).pending).Val(); n != 2 {
		t.Errorf("%d tasks pending after call 7 twice, want 2", n)
	}
	if next := call(3, 8); len(next) != 2 {
		t.Errorf("the next call took %v, want the last two", next)
	}
}

// Redis out of reach for a while (connections cut, new ones refused): the
// batch fetcher waits it out and every task runs once and is completed.
func TestBatchFetcherRidesOutRedisOutage(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	proxy := testenv.NewProxy(t, r.Addr)
	opts := *r.Client.Options()
	opts.Addr = proxy.Addr()
	through := redis.NewClient(&opts)
	t.Cleanup(func() { through.Close() })
	q := wideQueue("outage", 3, time.Hour)
	const n = 300
	enqueueNamed(t, r, q, "test:x", "o%03d", n)
	var mu sync.Mutex
	runs := map[string]int{}
	h := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		time.Sleep(20 * time.Millisecond)
		id, _ := taskinfo.ID(ctx)
		mu.Lock()
		runs[id]++
		mu.Unlock()
		return nil
	})
	b := testFetcher(q, through, h)
	b.start()
	defer b.shutdown(5 * time.Second)
	testenv.WaitFor(t, 20*time.Second, "a quarter of the tasks to run", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(runs) >= n/4
	})
	proxy.SetDown(true)
	mu.Lock()
	ranBefore := len(runs)
	mu.Unlock()
	if ranBefore == n {
		t.Fatal("every task ran before the outage: nothing was tested")
	}
	time.Sleep(2 * time.Second)
	proxy.SetDown(false)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	testenv.WaitFor(t, 30*time.Second, "every task completed", func() bool {
		info, err := insp.GetQueueInfo(q.Name)
		return err == nil && info.Completed == n
	})
	info, err := insp.GetQueueInfo(q.Name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Active+info.Pending+info.Retry+info.Archived != 0 || info.ProcessedTotal != n || info.FailedTotal != 0 {
		t.Errorf("after the outage: %d active, %d pending, %d retry, %d archived; %d processed, %d failed", info.Active, info.Pending, info.Retry, info.Archived, info.ProcessedTotal, info.FailedTotal)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, k := range runs {
		if k != 1 {
			t.Errorf("task %s ran %d times", id, k)
		}
	}
	if len(runs) != n {
		t.Errorf("%d tasks ran, want %d", len(runs), n)
	}
}

// Cancel on the dashboard (asynq's Inspector.CancelProcessing) reaches a
// task the batch fetcher runs: its handler sees its context cancelled and
// the attempt is retried, as under asynq's server.
func TestBatchFetcherTaskCancelled(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := wideQueue("cancelq", 2, 0)
	started := make(chan struct{})
	cancelled := make(chan error, 1)
	h := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		close(started)
		select {
		case <-ctx.Done():
			cancelled <- ctx.Err()
			return ctx.Err()
		case <-time.After(20 * time.Second):
			return nil
		}
	})
	info, err := asynq.NewClientFromRedisClient(r.Client).Enqueue(asynq.NewTask("test:long", nil), q.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	b := testFetcher(q, r.Client, h)
	b.start()
	defer b.shutdown(5 * time.Second)
	<-started
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	// The subscription may not be up the instant the task starts: ask
	// until the handler hears it.
	testenv.WaitFor(t, 10*time.Second, "the handler to see the cancellation", func() bool {
		if err := insp.CancelProcessing(info.ID); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-cancelled:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("handler's context ended with %v", err)
			}
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})
	got := testenv.WaitTask(t, insp, q.Name, info.ID, 10*time.Second, testenv.InState(asynq.TaskStateRetry))
	if got.Retried != 1 || !strings.Contains(got.LastErr, "context canceled") {
		t.Errorf("cancelled task: retried %d, last error %q; want 1, context canceled", got.Retried, got.LastErr)
	}
}

// A handler that ignores its context past its deadline is given up on, as
// under asynq's server: its attempt ends as failed with the deadline's
// error (retried), its slot runs the next tasks, and what it returns later
// is not written. Ten such handlers fill every slot; thirty tasks behind
// them still run, never more than the slots at once.
func TestBatchFetcherGivesUpOnHandlersIgnoringTheirContext(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := wideQueue("stuckq", 2, time.Hour)
	release := make(chan struct{})
	var stuck, quick sync.WaitGroup
	stuck.Add(q.BatchSlots())
	quick.Add(30)
	var mu sync.Mutex
	var running, most int
	h := asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		if task.Type() == "test:stuck" {
			stuck.Done()
			<-release // deaf to ctx
			return nil
		}
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		quick.Done()
		return nil
	})
	enqueueNamed(t, r, q, "test:stuck", "stuck-%d", q.BatchSlots(), asynq.Timeout(time.Second))
	b := testFetcher(q, r.Client, h)
	b.leaseEvery = 200 * time.Millisecond
	b.start()
	testenv.WaitGroup(t, &stuck, 10*time.Second)
	enqueueNamed(t, r, q, "test:quick", "quick-%d", 30)
	testenv.WaitGroup(t, &quick, 20*time.Second)
	if most > q.BatchSlots() {
		t.Errorf("%d quick tasks ran at once beside the stuck handlers, want at most %d (the slots)", most, q.BatchSlots())
	}
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	for i := range q.BatchSlots() {
		got := testenv.WaitTask(t, insp, q.Name, fmt.Sprintf("stuck-%d", i), 10*time.Second, testenv.InState(asynq.TaskStateRetry))
		if got.Retried != 1 || !strings.Contains(got.LastErr, "context deadline exceeded") {
			t.Errorf("stuck task %s: retried %d, last error %q; want 1, context deadline exceeded", got.ID, got.Retried, got.LastErr)
		}
	}
	close(release) // they return nil now: not written
	b.shutdown(5 * time.Second)
	for i := range q.BatchSlots() {
		got, err := insp.GetTaskInfo(q.Name, fmt.Sprintf("stuck-%d", i))
		if err != nil || got.State != asynq.TaskStateRetry {
			t.Errorf("stuck task %d after its handler returned: %v, %v; want still retry", i, got, err)
		}
	}
	for i := range 30 {
		got, err := insp.GetTaskInfo(q.Name, fmt.Sprintf("quick-%d", i))
		if err != nil || got.State != asynq.TaskStateCompleted {
			t.Errorf("quick task %d: %v, %v; want completed", i, got, err)
		}
	}
}

// The dashboard lists the batch fetcher among the servers, with its slots
// and its running tasks (when each started, its deadline), and no longer
// once it has stopped.
func TestBatchFetcherOnTheDashboard(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	q := wideQueue("shown", 1, 0)
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(3)
	h := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		started.Done()
		<-release
		return nil
	})
	c := asynq.NewClientFromRedisClient(r.Client)
	for range 3 {
		if _, err := c.Enqueue(asynq.NewTask("test:shown", []byte(`{"n":1}`)), q.Options()...); err != nil {
			t.Fatal(err)
		}
	}
	b := testFetcher(q, r.Client, h)
	b.leaseEvery = 200 * time.Millisecond
	b.start()
	testenv.WaitGroup(t, &started, 10*time.Second)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	var mine *asynq.ServerInfo
	testenv.WaitFor(t, 5*time.Second, "the batch fetcher listed with its three tasks", func() bool {
		servers, err := insp.Servers()
		if err != nil {
			t.Fatalf("the dashboard's server list fails: %v", err)
		}
		for _, s := range servers {
			if s.ID == b.identity.id && len(s.ActiveWorkers) == 3 {
				mine = s
				return true
			}
		}
		return false
	})
	if mine.Concurrency != q.BatchSlots() || mine.Queues[q.Name] != 1 || mine.Status != "active" || mine.PID != os.Getpid() {
		t.Errorf("server as listed: %+v", mine)
	}
	for _, w := range mine.ActiveWorkers {
		if w.TaskType != "test:shown" || w.Queue != q.Name || string(w.TaskPayload) != `{"n":1}` ||
			time.Since(w.Started) > 10*time.Second || w.Deadline.Sub(w.Started) < 59*time.Second {
			t.Errorf("running task as listed: %+v", w)
		}
	}
	close(release)
	b.shutdown(5 * time.Second)
	servers, err := insp.Servers()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range servers {
		if s.ID == b.identity.id {
			t.Errorf("the stopped batch fetcher is still listed: %+v", s)
		}
	}
}

// wideQueue is a queue of 12 slots, 10 of them the batch fetcher's, whose
// retries wait 1 s.
func wideQueue(name string, maxRetry int, retention time.Duration) queues.Queue {
	return queues.Queue{Name: name, Concurrency: 12, MaxRetry: maxRetry, Timeout: time.Minute,
		BackoffBase: time.Second, BackoffCap: time.Second, Retention: retention}
}

// testFetcher is q's batch fetcher over rdb, polling every 20 ms.
func testFetcher(q queues.Queue, rdb redis.UniversalClient, h asynq.Handler) *batchFetcher {
	return newBatchFetcher(q, rdb, h, 20*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// enqueueNamed enqueues n tasks of kind to q, the i-th with the ID
// fmt.Sprintf(idFormat, i), with q's options and then opts.
func enqueueNamed(t *testing.T, r *testenv.Redis, q queues.Queue, kind, idFormat string, n int, opts ...asynq.Option) {
	t.Helper()
	c := asynq.NewClientFromRedisClient(r.Client)
	for i := range n {
		if _, err := c.Enqueue(asynq.NewTask(kind, nil), append(append(q.Options(), opts...), asynq.TaskID(fmt.Sprintf(idFormat, i)))...); err != nil {
			t.Fatal(err)
		}
	}
}
