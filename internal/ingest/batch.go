package ingest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Outcomes of an entry, the outcome label of jobs_ingest_entries_total
// (besides "read", counted for every entry read or claimed).
const (
	OutcomeEnqueued  = "enqueued"
	OutcomeDuplicate = "duplicate"
	OutcomeDead      = "dead"
	// OutcomeFailed is an entry left pending after a Redis error; it comes
	// back through the claim path after ClaimIdle.
	OutcomeFailed = "failed"
)

// item is one entry of a batch on its way through.
type item struct {
	msg     redis.XMessage
	entry   Entry
	err     error // why it is dead; nil when it decoded
	taskID  string
	outcome string
}

// process turns one batch into tasks, dead entries and acknowledgements:
// decode every entry, claim the idempotency keys in one pipeline, enqueue
// the rest concurrently, write the dead entries in one pipeline and
// acknowledge everything settled in one XACK. An entry whose outcome is
// failed is not acknowledged.
func (b *Bridge) process(parent context.Context, msgs []redis.XMessage) {
	// The batch in hand finishes even when Shutdown cancels parent.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), batchTimeout)
	defer cancel()
	items := decodeAll(msgs)
	b.metrics.count("read", len(items))
	b.claimKeys(ctx, items)
	b.enqueue(ctx, items)
	b.writeDead(ctx, items)
	b.ack(ctx, items)
}

// decodeAll decodes a batch on every CPU: validation is most of the
// bridge's own work, and one core would otherwise idle while the other
// decodes.
func decodeAll(msgs []redis.XMessage) []item {
	items := make([]item, len(msgs))
	workers := min(runtime.GOMAXPROCS(0), (len(msgs)+63)/64)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(msgs); i += workers {
				it := &items[i]
				it.msg = msgs[i]
				it.entry, it.err = Decode(it.msg.Values)
				switch {
				case it.err != nil:
					it.outcome = OutcomeDead
				case it.entry.IdempotencyKey != "":
					it.taskID = TaskIDForKey(it.entry.IdempotencyKey)
				default:
					it.taskID = TaskIDForEntry(it.msg.ID)
				}
			}
		})
	}
	wg.Wait()
	return items
}

// claimKeys maps each idempotency key to its task with SET NX GET, in one
// pipeline. The value is the task ID and the ID of the entry that claimed
// the key, so that same entry, redelivered after a failed enqueue, is not
// taken for a duplicate of itself. A key already held by another entry
// makes a duplicate; two entries of one batch with the same key are settled
// by the order of the pipeline.
func (b *Bridge) claimKeys(ctx context.Context, items []item) {
	var idx []int
	for i := range items {
		if items[i].outcome == "" && items[i].entry.IdempotencyKey != "" {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	cmds := make([]*redis.StatusCmd, len(idx))
	_, _ = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, i := range idx {
			it := &items[i]
			cmds[j] = p.SetArgs(ctx, redisKeyFor(it.entry.IdempotencyKey), it.taskID+" "+it.msg.ID,
				redis.SetArgs{Mode: "NX", Get: true, TTL: b.cfg.IdempotencyTTL})
		}
		return nil
	})
	for j, i := range idx {
		old, err := cmds[j].Result()
		it := &items[i]
		switch {
		case errors.Is(err, redis.Nil):
			// Claimed now: enqueue.
		case err != nil:
			it.outcome, it.err = OutcomeFailed, fmt.Errorf("claim idempotency key: %w", err)
		default:
			if _, owner, _ := strings.Cut(old, " "); owner != it.msg.ID {
				it.outcome = OutcomeDuplicate
			}
		}
	}
}

// enqueue enqueues every item still open with at most Concurrency calls in
// flight. asynq has no batch API; concurrent calls overlap their round trips.
func (b *Bridge) enqueue(ctx context.Context, items []item) {
	var open []int
	for i := range items {
		if items[i].outcome == "" {
			open = append(open, i)
		}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(b.cfg.Concurrency, len(open)) {
		wg.Go(func() {
			for i := range work {
				it := &items[i]
				ectx, span := b.startEnqueue(ctx, it)
				_, err := b.client.EnqueueContext(ectx, it.entry.Task, asynq.TaskID(it.taskID))
				switch {
				case err == nil:
					it.outcome = OutcomeEnqueued
				case errors.Is(err, asynq.ErrTaskIDConflict):
					// Enqueued before: this entry was redelivered after
					// its bridge died between enqueue and XACK.
					it.outcome = OutcomeDuplicate
				default:
					it.outcome, it.err = OutcomeFailed, fmt.Errorf("enqueue %s: %w", it.taskID, err)
				}
				endEnqueue(span, it)
			}
		})
	}
	for _, i := range open {
		work <- i
	}
	close(work)
	wg.Wait()
}

// ack acknowledges every settled item in one XACK and counts the outcomes.
func (b *Bridge) ack(ctx context.Context, items []item) {
	ids := make([]string, 0, len(items))
	counts := map[string]int{}
	var failed []error
	for _, it := range items {
		counts[it.outcome]++
		if it.outcome == OutcomeFailed {
			failed = append(failed, fmt.Errorf("entry %s: %w", it.msg.ID, it.err))
			continue
		}
		ids = append(ids, it.msg.ID)
	}
	if len(failed) > 0 {
		b.cfg.Logger.Error("ingest: entries left pending for retry after a Redis error",
			"count", len(failed), "retry_after", b.cfg.ClaimIdle.String(), "first_err", failed[0].Error())
	}
	if len(ids) > 0 {
		if err := b.rdb.XAck(ctx, Stream, b.cfg.Group, ids...).Err(); err != nil {
			// Settled but not acknowledged: claimed again later, and then
			// found to be duplicates (same task IDs, same key owners).
			b.cfg.Logger.Error("ingest: acknowledge entries", "count", len(ids), "err", err.Error())
		}
	}
	for outcome, n := range counts {
		b.metrics.count(outcome, n)
	}
}
