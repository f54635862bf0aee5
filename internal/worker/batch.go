package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/internal/taskinfo"
	"github.com/salonworks/jobs/queues"
)

// The batch fetcher serves the slots of a wide queue that its asynq server
// does not (queues.Queue.BatchSlots). asynq's server takes one task per
// Redis round trip and starts a goroutine per task; the batch fetcher takes
// as many tasks as it has free slots in one script call, runs them on
// long-lived goroutines (one per slot), and finishes the tasks that end at
// the same moment in one more call. It keeps asynq's layout in Redis to the
// letter (the same keys, states, leases, counters and stored messages), so
// everything else stays asynq's: the queue's asynq server forwards due
// retries, recovers the tasks of a worker that died (their lease runs out)
// and cleans expired completed tasks; the dashboard shows the batch
// fetcher's tasks as active and their outcomes in the queue's counters.
// While Redis fails, every call is made again until it answers (for up to a
// lease's length); a call that took tasks is answered again with the same
// tasks, never repeated (see cycleScript).
//
// What a handler sees is what asynq's server gives it: a deadline from the
// task's timeout, its ID, queue and retries through internal/taskinfo, its
// result writer, a failed attempt retried after the worker's retry delay or
// archived when its retries are spent or it is permanent, a panic made an
// error. A handler that ignores its context is given up on as asynq's
// server does, only later: asynq ends the attempt the moment its context
// ends (deadline, or the dashboard's Cancel); the batch fetcher leaves the
// handler a lease pass (5 to 10 s) to return, then ends the attempt with
// the context's error (retried, or archived on its last attempt) and gives
// its slot to a new goroutine; the handler runs on, and what it returns is
// not written.

const (
	// leaseDuration and leaseEvery are asynq's: a running task's lease is
	// extended every 5 s to 30 s ahead; asynq's recoverer retries a task
	// whose lease ran out.
	leaseDuration = 30 * time.Second
	leaseEvery    = 5 * time.Second
	// maxFetch bounds the tasks taken in one call, maxFinish the tasks
	// finished in one, so that no script holds Redis long.
	maxFetch  = 64
	maxFinish = 128
	// statsTTL is how long asynq keeps a day's processed and failed counts.
	statsTTL = 90 * 24 * time.Hour
	// archiveMax and archiveDays are asynq's bounds on a queue's archive.
	archiveMax  = 10000
	archiveDays = 90
)

// batchKeys are the queue's keys in asynq's layout.
type batchKeys struct {
	prefix, pending, paused, active, lease, completed, retry, archived, taskPrefix string
}

func keysOf(queue string) batchKeys {
	p := "asynq:{" + queue + "}:"
	return batchKeys{prefix: p, pending: p + "pending", paused: p + "paused", active: p + "active",
		lease: p + "lease", completed: p + "completed", retry: p + "retry", archived: p + "archived",
		taskPrefix: p + "t:"}
}

func (k batchKeys) day(kind string, t time.Time) string {
	return k.prefix + kind + ":" + t.UTC().Format("2006-01-02")
}

// batchTask is one task the batch fetcher took.
type batchTask struct {
	msg    *taskMsg
	ctx    context.Context
	cancel context.CancelFunc
	err    error
	// leaseUntil is the lease's end as last written, in unix nanoseconds.
	leaseUntil atomic.Int64
	// started and deadline are when the attempt began and must end.
	started, deadline time.Time
	// ended is set (under batchFetcher.mu) when the handler has returned
	// or the attempt was given up on; abandoned when shutdown returned the
	// task to its queue while its handler still ran.
	ended, abandoned bool
	// overdue is set (under batchFetcher.mu) by the lease pass that found
	// the attempt's context ended and its handler still running; the next
	// one ends the attempt in the handler's stead (giveUp), so a handler
	// that returns to find its task ended was given up on.
	overdue bool
}

// batchFetcher is the batch fetcher of one queue.
type batchFetcher struct {
	keys       batchKeys
	rdb        redis.UniversalClient
	handler    asynq.Handler
	slots      int
	poll       time.Duration
	retryDelay asynq.RetryDelayFunc
	isFailure  func(error) bool
	logger     *slog.Logger
	// leaseFor and leaseEvery are leaseDuration and leaseEvery (shorter in
	// tests).
	leaseFor, leaseEvery time.Duration

	// identity names the fetcher among the servers on the dashboard
	// (batchstate.go); queueName is its queue.
	identity  serverIdentity
	queueName string
	// record is the key of this fetcher's last call that took tasks (see
	// cycleScript); calls counts its calls.
	record string
	calls  atomic.Int64

	tokens  chan struct{} // one per free slot
	work    chan *batchTask
	results chan *batchTask

	mu       sync.Mutex
	inflight map[*batchTask]struct{}
	// workMu guards closing work: the finisher hands over the tasks it
	// took unless shutdown has closed it.
	workMu     sync.RWMutex
	workClosed bool

	quit       chan struct{} // closed: take no more tasks
	quitOnce   sync.Once
	quitCtx    context.Context // ends when quit closes
	quitCancel context.CancelFunc
	fetchDone  chan struct{}
	finishQuit chan struct{} // closed: finish what has ended, then stop
	finishDone chan struct{}
	leaseQuit  chan struct{}
	leaseDone  chan struct{}
	cancelDone chan struct{}
	workers    sync.WaitGroup
	started    atomic.Bool
	lastErrLog atomic.Int64
}

func newBatchFetcher(q queues.Queue, rdb redis.UniversalClient, h asynq.Handler, poll time.Duration, logger *slog.Logger) *batchFetcher {
	b := &batchFetcher{
		keys: keysOf(q.Name), rdb: rdb, handler: h, slots: q.BatchSlots(), poll: poll,
		retryDelay: retryDelay(q), isFailure: isFailure, logger: logger.With("queue", q.Name),
		inflight: map[*batchTask]struct{}{},
		quit:     make(chan struct{}), fetchDone: make(chan struct{}),
		finishQuit: make(chan struct{}), finishDone: make(chan struct{}),
		leaseQuit: make(chan struct{}), leaseDone: make(chan struct{}), cancelDone: make(chan struct{}),
		leaseFor: leaseDuration, leaseEvery: leaseEvery,
	}
	id := randomID()
	b.record = b.keys.prefix + "batch:" + id
	b.identity, b.queueName = newServerIdentity("batch-"+id), q.Name
	b.quitCtx, b.quitCancel = context.WithCancel(context.Background())
	b.tokens = make(chan struct{}, b.slots)
	b.work = make(chan *batchTask, b.slots)
	b.results = make(chan *batchTask, b.slots)
	for range b.slots {
		b.tokens <- struct{}{}
	}
	return b
}

// start runs the fetch loop, the slots, the finisher and the lease keeper.
func (b *batchFetcher) start() {
	b.started.Store(true)
	for range b.slots {
		b.workers.Add(1)
		go b.run()
	}
	go b.fetchLoop()
	go b.finishLoop()
	go b.leaseLoop()
	go b.cancelLoop()
}

// stop takes no more tasks; it returns once the fetch loop has ended.
func (b *batchFetcher) stop() {
	if !b.started.Load() {
		return
	}
	b.quitOnce.Do(func() {
		close(b.quit)
		b.quitCancel()
	})
	<-b.fetchDone
}

// shutdown stops fetching, gives the running tasks until timeout to end and
// finishes them, and returns the ones still running then to the front of
// their queue, unchanged (no retry spent), as asynq's server does.
func (b *batchFetcher) shutdown(timeout time.Duration) {
	if !b.started.Load() {
		return
	}
	b.stop()
	b.workMu.Lock()
	b.workClosed = true
	close(b.work)
	b.workMu.Unlock()
	ended := make(chan struct{})
	go func() {
		b.workers.Wait()
		close(ended)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-ended:
	case <-timer.C:
		b.abandon()
	}
	close(b.finishQuit)
	<-b.finishDone
	close(b.leaseQuit)
	<-b.leaseDone
	<-b.cancelDone
}

// abandon returns the tasks still running to their queue and ends their
// contexts; what their handlers return later is not written.
func (b *batchFetcher) abandon() {
	b.mu.Lock()
	var ts []*batchTask
	for t := range b.inflight {
		if !t.ended { // an ended one is the finisher's to write
			t.abandoned = true
			ts = append(ts, t)
		}
	}
	b.mu.Unlock()
	for _, t := range ts {
		b.logger.Warn("task still running at shutdown: returned to its queue", "task_id", t.msg.ID, "kind", t.msg.Type)
	}
	b.giveBack(ts)
}

// giveBack returns tasks to the front of their queue, unchanged, and ends
// their contexts.
func (b *batchFetcher) giveBack(ts []*batchTask) {
	if len(ts) == 0 {
		return
	}
	args := []any{b.keys.taskPrefix}
	b.mu.Lock()
	for _, t := range ts {
		delete(b.inflight, t)
		args = append(args, t.msg.ID)
	}
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := requeueScript.Run(ctx, b.rdb, []string{b.keys.active, b.keys.lease, b.keys.pending}, args...).Err(); err != nil {
		b.logger.Error("returning tasks to their queue failed: their lease runs out and asynq's recoverer retries them", "tasks", len(ts), "error", err)
	}
	for _, t := range ts {
		t.cancel()
	}
}

// fetchLoop takes tasks while there are free slots.
func (b *batchFetcher) fetchLoop() {
	defer close(b.fetchDone)
	for {
		select {
		case <-b.quit:
			return
		case <-b.tokens:
		}
		n := 1
	more:
		for n < maxFetch {
			select {
			case <-b.tokens:
				n++
			default:
				break more
			}
		}
		got, err := b.fetch(n)
		for range n - len(got) {
			b.tokens <- struct{}{}
		}
		if err != nil {
			b.logErr("taking tasks failed", err)
		}
		for _, t := range got {
			b.work <- t
		}
		if len(got) < n {
			// Empty (or failing): wait half to one and a half poll
			// intervals, as asynq does.
			select {
			case <-b.quit:
				return
			case <-time.After(b.poll/2 + rand.N(b.poll)):
			}
		}
	}
}

// fetch takes up to n tasks and starts their attempts' contexts. While
// Redis fails it tries again, until shutdown.
func (b *batchFetcher) fetch(n int) ([]*batchTask, error) {
	_, got, err := b.cycle(b.quitCtx, nil, n, time.Now())
	return got, err
}

// cycle marks done completed (kept for their retention, or deleted), then
// takes up to n tasks and starts their attempts' contexts, in one call.
// While Redis fails it makes the same call again, for up to a lease's
// length or until ctx ends; the script answers a repeated call with the
// tasks the first one took.
func (b *batchFetcher) cycle(ctx context.Context, done []*batchTask, n int, now time.Time) (completed int, got []*batchTask, err error) {
	until := now.Add(b.leaseFor)
	keys, args := b.cycleArgs(done, n, now, until, b.calls.Add(1))
	var res []any
	err = b.write(ctx, func(ctx context.Context) (err error) {
		res, err = cycleScript.Run(ctx, b.rdb, keys, args...).Slice()
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	if len(res) > 0 {
		c, _ := res[0].(int64)
		completed = int(c)
	}
	got = make([]*batchTask, 0, (len(res)-1)/2)
	for i := 1; i+1 < len(res); i += 2 {
		id, _ := res[i].(string)
		raw, _ := res[i+1].(string)
		msg, err := decodeTaskMsg([]byte(raw))
		if err != nil {
			// asynq's server could not read it either; it stays active
			// until its lease runs out, for the recoverer.
			b.logger.Error("a task cannot be read", "task_id", id, "error", err)
			continue
		}
		got = append(got, b.begin(msg, now, until))
	}
	b.mu.Lock()
	for _, t := range got {
		b.inflight[t] = struct{}{}
	}
	b.mu.Unlock()
	return completed, got, nil
}

// cycleArgs are cycleScript's keys and arguments for call number call.
func (b *batchFetcher) cycleArgs(done []*batchTask, n int, now, until time.Time, call int64) ([]string, []any) {
	keys := []string{b.keys.active, b.keys.lease, b.keys.completed, b.keys.day("processed", now),
		b.keys.prefix + "processed", b.keys.pending, b.keys.paused, b.record}
	args := make([]any, 0, 6+4*len(done))
	args = append(args, now.Add(statsTTL).Unix(), b.keys.taskPrefix, len(done), n, until.Unix(), call)
	for _, t := range done {
		if t.msg.Retention > 0 {
			args = append(args, t.msg.ID, now.Unix()+t.msg.Retention, t.msg.completed(now.Unix()), t.msg.UniqueKey)
		} else {
			args = append(args, t.msg.ID, 0, "", t.msg.UniqueKey)
		}
	}
	return keys, args
}

// begin makes the attempt's context: the task's deadline, and what
// taskinfo tells the handler. The caller adds it to inflight.
func (b *batchFetcher) begin(msg *taskMsg, now, leaseUntil time.Time) *batchTask {
	t := &batchTask{msg: msg, started: now, deadline: deadlineOf(msg, now)}
	t.leaseUntil.Store(leaseUntil.UnixNano())
	ctx, cancel := context.WithDeadline(context.Background(), t.deadline)
	t.ctx = taskinfo.With(ctx, &taskinfo.Info{
		ID: msg.ID, Queue: msg.Queue, Retried: msg.Retried, MaxRetry: msg.Retry,
		Result: resultWriter{ctx: ctx, rdb: b.rdb, key: b.keys.taskPrefix + msg.ID},
	})
	t.cancel = cancel
	return t
}

// deadlineOf is asynq's: the earlier of now + timeout and the deadline,
// whichever are set (asynq's default 30 minutes when neither is).
func deadlineOf(msg *taskMsg, now time.Time) time.Time {
	switch {
	case msg.Timeout > 0 && msg.Deadline > 0:
		return time.Unix(min(now.Unix()+msg.Timeout, msg.Deadline), 0)
	case msg.Timeout > 0:
		return now.Add(time.Duration(msg.Timeout) * time.Second)
	case msg.Deadline > 0:
		return time.Unix(msg.Deadline, 0)
	}
	return now.Add(30 * time.Minute)
}

// resultWriter writes a task's result where asynq's ResultWriter does.
type resultWriter struct {
	ctx context.Context
	rdb redis.UniversalClient
	key string
}

func (w resultWriter) Write(data []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("failed to write task result: %w", err)
	}
	if err := w.rdb.HSet(w.ctx, w.key, "result", data).Err(); err != nil {
		return 0, err
	}
	return len(data), nil
}

// run is one slot: it runs the tasks handed to it, one at a time. Once
// the attempt it runs was given up on (giveUp), another goroutine has its
// slot: it ends when the handler returns.
func (b *batchFetcher) run() {
	defer b.workers.Done()
	for t := range b.work {
		err := b.perform(t)
		b.mu.Lock()
		givenUp := t.ended
		if !givenUp {
			t.err, t.ended = err, true
		}
		b.mu.Unlock()
		if givenUp {
			b.logger.Warn("handler returned after its attempt was given up on: its outcome is not written", "task_id", t.msg.ID, "kind", t.msg.Type, "error", err)
			return
		}
		b.results <- t
	}
}

// giveUp ends the attempts whose context ended (deadline, or the
// dashboard's Cancel) a lease pass ago while their handlers still run, as
// failed with the context's error, and gives each its slot back on a new
// goroutine. It is called by each lease pass.
func (b *batchFetcher) giveUp() {
	// Not once shutdown has closed the slots' work (it returns the tasks
	// still running to their queue itself); held until the new slots are
	// counted, so that shutdown's wait for the slots starts after.
	b.workMu.RLock()
	if b.workClosed {
		b.workMu.RUnlock()
		return
	}
	var ts []*batchTask
	b.mu.Lock()
	for t := range b.inflight {
		switch {
		case t.ended || t.ctx.Err() == nil:
		case t.overdue:
			t.ended, t.err = true, t.ctx.Err()
			ts = append(ts, t)
			// Counted before the handler can return and its goroutine
			// end.
			b.workers.Add(1)
		default:
			t.overdue = true
		}
	}
	b.mu.Unlock()
	for range ts {
		go b.run()
	}
	b.workMu.RUnlock()
	for _, t := range ts {
		b.logger.Error("handler did not return after its context ended: attempt ended as failed, its slot given to the next task", "task_id", t.msg.ID, "kind", t.msg.Type, "error", t.err, "started", t.started, "deadline", t.deadline)
		select {
		case b.results <- t:
		case <-b.finishDone: // shutting down: its lease runs out, the recoverer retries it
		}
	}
}

// perform runs the handler; a panic becomes the attempt's error, naming
// where it happened.
func (b *batchFetcher) perform(t *batchTask) (err error) {
	if err := t.ctx.Err(); err != nil {
		return err
	}
	defer func() {
		if x := recover(); x != nil {
			b.logger.Error("handler panicked", "task_id", t.msg.ID, "kind", t.msg.Type, "stack", string(debug.Stack()))
			err = panicError(x)
		}
	}()
	task := asynq.NewTaskWithHeaders(t.msg.Type, t.msg.Payload, t.msg.Headers)
	return b.handler.ProcessTask(t.ctx, task)
}

// panicError describes a recovered panic in asynq's words: "panic error
// cause by: panic [file:line]: value".
func panicError(x any) error {
	// Frames: runtime.Callers, panicError, perform's deferred func, the
	// runtime's panic; then where it was raised (past the runtime's own
	// frames, for a nil map or an index out of range).
	pcs := make([]uintptr, 16)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if f.File != "" && !strings.Contains(f.File, "runtime/") {
			return fmt.Errorf("panic error cause by: panic [%s:%d]: %v", f.File, f.Line, x)
		}
		if !more {
			return fmt.Errorf("panic error cause by: panic: %v", x)
		}
	}
}

// finishLoop writes the outcome of every ended attempt, the ones that end
// together in one call, and frees their slots.
func (b *batchFetcher) finishLoop() {
	defer close(b.finishDone)
	batch := make([]*batchTask, 0, maxFinish)
	for {
		batch = batch[:0]
		select {
		case t := <-b.results:
			batch = append(batch, t)
		case <-b.finishQuit:
			// The slots have stopped (or been abandoned): finish what
			// has ended, then stop.
			for {
				select {
				case t := <-b.results:
					batch = append(batch, t)
					if len(batch) == maxFinish {
						b.finish(batch)
						batch = batch[:0]
					}
					continue
				default:
				}
				break
			}
			b.finish(batch)
			return
		}
	more:
		for len(batch) < maxFinish {
			select {
			case t := <-b.results:
				batch = append(batch, t)
			default:
				break more
			}
		}
		b.finish(batch)
	}
}

// finish writes the outcomes of ended attempts and fills their slots
// again: the tasks completed and the next tasks are one call.
func (b *batchFetcher) finish(batch []*batchTask) {
	if len(batch) == 0 {
		return
	}
	now := time.Now()
	var done []*batchTask
	b.mu.Lock()
	for _, t := range batch {
		delete(b.inflight, t)
	}
	b.mu.Unlock()
	for _, t := range batch {
		t.cancel()
		switch {
		case t.abandoned: // set before the task left inflight
			// Back in its queue already.
		case now.UnixNano() > t.leaseUntil.Load():
			// As asynq's server: a task whose lease ran out is the
			// recoverer's, which retries it.
			b.logger.Warn("task's lease ran out before it ended: asynq's recoverer retries it", "task_id", t.msg.ID, "kind", t.msg.Type)
		case t.err == nil:
			done = append(done, t)
		case errors.Is(t.err, asynq.RevokeTask):
			t.msg.Retention = 0 // asynq deletes a revoked task
			done = append(done, t)
		default:
			b.fail(t, now)
		}
	}
	take := len(batch)
	select {
	case <-b.quit:
		take = 0
	default:
	}
	if len(done) == 0 && take == 0 {
		return
	}
	_, got, err := b.cycle(context.Background(), done, take, now)
	if err != nil {
		b.logErr(fmt.Sprintf("marking %d tasks completed failed: their lease runs out and asynq's recoverer retries them", len(done)), err)
	}
	b.workMu.RLock()
	if b.workClosed {
		b.giveBack(got)
	} else {
		for _, t := range got {
			b.work <- t
		}
	}
	b.workMu.RUnlock()
	for range take - len(got) {
		b.tokens <- struct{}{}
	}
}

// fail retries or archives a failed attempt, as asynq's server does: a
// revoked task was completed instead (finish); a task whose retries are
// spent, or whose error is permanent, is archived; otherwise it is retried
// after the retry delay, spending a retry only if the error is a failure.
func (b *batchFetcher) fail(t *batchTask, now time.Time) {
	msg, err := t.msg, t.err
	archive := msg.Retried >= msg.Retry || errors.Is(err, asynq.SkipRetry)
	failure := archive || b.isFailure(err)
	retried := msg.Retried
	target, state, score := b.keys.archived, "archived", now.Unix()
	if !archive {
		if failure {
			retried++
		}
		d := b.retryDelay(msg.Retried, err, asynq.NewTaskWithHeaders(msg.Type, msg.Payload, msg.Headers))
		target, state, score = b.keys.retry, "retry", now.Add(d).Unix()
	}
	keys := []string{b.keys.taskPrefix + msg.ID, b.keys.active, b.keys.lease, target,
		b.keys.day("processed", now), b.keys.day("failed", now), b.keys.prefix + "processed", b.keys.prefix + "failed"}
	args := []any{msg.ID, msg.failed(retried, err.Error(), now.Unix()), score, state, boolArg(failure),
		now.Add(statsTTL).Unix(), now.AddDate(0, 0, -archiveDays).Unix(), archiveMax, b.keys.taskPrefix}
	if werr := b.write(context.Background(), func(ctx context.Context) error { return failScript.Run(ctx, b.rdb, keys, args...).Err() }); werr != nil {
		b.logErr(fmt.Sprintf("moving task %s to %s failed: its lease runs out and asynq's recoverer retries it", msg.ID, state), werr)
	}
}

func boolArg(v bool) int {
	if v {
		return 1
	}
	return 0
}

// write makes a call, again while Redis fails, for up to a lease's length
// (past it the recoverer has the tasks) or until ctx ends.
func (b *batchFetcher) write(ctx context.Context, call func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, b.leaseFor)
	defer cancel()
	delay := 50 * time.Millisecond
	for {
		err := call(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// leaseLoop extends the leases of the running tasks, and ends the attempts
// whose lease ran out (Redis was out of reach): asynq's recoverer retries
// those. It gives up on handlers that did not return after their context
// ended (giveUp). With every pass it writes the fetcher's records for the
// dashboard, and it removes them at shutdown.
func (b *batchFetcher) leaseLoop() {
	defer close(b.leaseDone)
	tick := time.NewTicker(b.leaseEvery)
	defer tick.Stop()
	b.showState(nil)
	for {
		select {
		case <-b.leaseQuit:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := b.clearState(ctx); err != nil {
				b.logErr("removing the batch fetcher's records from the dashboard failed (they expire)", err)
			}
			return
		case <-tick.C:
		}
		b.mu.Lock()
		ts := make([]*batchTask, 0, len(b.inflight))
		var running []*batchTask
		for t := range b.inflight {
			ts = append(ts, t)
			if !t.ended {
				running = append(running, t)
			}
		}
		b.mu.Unlock()
		b.showState(running)
		b.giveUp()
		if len(ts) == 0 {
			continue
		}
		now := time.Now()
		until := now.Add(b.leaseFor)
		members := make([]redis.Z, len(ts))
		for i, t := range ts {
			members[i] = redis.Z{Score: float64(until.Unix()), Member: t.msg.ID}
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.leaseEvery)
		err := b.rdb.ZAddArgs(ctx, b.keys.lease, redis.ZAddArgs{XX: true, Members: members}).Err()
		cancel()
		for _, t := range ts {
			switch {
			case err == nil:
				t.leaseUntil.Store(until.UnixNano())
			case now.UnixNano() > t.leaseUntil.Load():
				t.cancel()
			}
		}
		if err != nil {
			b.logErr("extending the running tasks' leases failed", err)
		}
	}
}

// showState writes the fetcher's records for the dashboard, valid for two
// passes of leaseLoop.
func (b *batchFetcher) showState(running []*batchTask) {
	ctx, cancel := context.WithTimeout(context.Background(), b.leaseEvery)
	defer cancel()
	if err := b.writeState(ctx, running, 2*b.leaseEvery); err != nil {
		b.logErr("writing the batch fetcher's records for the dashboard failed", err)
	}
}

// randomID names a batch fetcher.
func randomID() string {
	return strconv.FormatUint(rand.Uint64(), 36)
}

// cancelChannel is where asynq's Inspector.CancelProcessing (the
// dashboard's Cancel on an active task) publishes the task's ID.
const cancelChannel = "asynq:cancel"

// cancelLoop ends the context of a running task the dashboard cancels, as
// asynq's server does: the handler sees it cancelled, and the attempt ends
// as a failure (retried, or archived on its last attempt).
func (b *batchFetcher) cancelLoop() {
	defer close(b.cancelDone)
	sub := b.rdb.Subscribe(context.Background(), cancelChannel)
	defer sub.Close()
	msgs := sub.Channel()
	for {
		select {
		case <-b.leaseQuit:
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			b.mu.Lock()
			for t := range b.inflight {
				if t.msg.ID == m.Payload && !t.ended {
					t.cancel()
				}
			}
			b.mu.Unlock()
		}
	}
}

// logErr logs a Redis failure at most once every 10 s: the fetch loop
// meets it at every poll while Redis is away.
func (b *batchFetcher) logErr(msg string, err error) {
	now := time.Now().UnixNano()
	last := b.lastErrLog.Load()
	if now-last < int64(10*time.Second) || !b.lastErrLog.CompareAndSwap(last, now) {
		return
	}
	b.logger.Error(msg, "error", err)
}
