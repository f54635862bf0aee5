package scheduler

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"
)

// The dashboard (asynqmon) lists the scheduler entries and their enqueue
// history that asynq's own Scheduler writes to Redis. This runner is not an
// asynq.Scheduler (asynq's has no leader election, no per-tick task IDs and
// no catch-up), so the leader writes the same records itself: a sorted set
// of scheduler keys, a list of protobuf-encoded entries per scheduler, and a
// capped sorted set of enqueue events per entry. The layout is asynq
// v0.26's; TestDashboardRecordsReadBackThroughAsynq reads it back through
// asynq.Inspector, so an upgrade that changes it fails the build.
const (
	allSchedulersKey = "asynq:schedulers"
	maxHistory       = 1000
)

func schedulerEntriesKey(id string) string { return "asynq:schedulers:{" + id + "}" }
func schedulerHistoryKey(entryID string) string {
	return "asynq:scheduler_history:" + entryID
}

// dashboardEntry is what the dashboard shows for one entry.
type dashboardEntry struct {
	id, spec, kind string
	payload        []byte
	opts           []string
	next, prev     time.Time
}

func appendTimestamp(b []byte, num protowire.Number, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	var ts []byte
	ts = protowire.AppendTag(ts, 1, protowire.VarintType)
	ts = protowire.AppendVarint(ts, uint64(t.Unix()))
	if n := t.Nanosecond(); n != 0 {
		ts = protowire.AppendTag(ts, 2, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(n))
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, ts)
}

// encode writes e as asynq's SchedulerEntry message.
func (e dashboardEntry) encode() []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, e.id)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, e.spec)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, e.kind)
	if len(e.payload) > 0 {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendBytes(b, e.payload)
	}
	for _, o := range e.opts {
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendString(b, o)
	}
	b = appendTimestamp(b, 6, e.next)
	return appendTimestamp(b, 7, e.prev)
}

// encodeEvent writes asynq's SchedulerEnqueueEvent message.
func encodeEvent(taskID string, at time.Time) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, taskID)
	return appendTimestamp(b, 2, at)
}

// writeDashboardEntries publishes entries under schedulerID for ttl.
func writeDashboardEntries(ctx context.Context, rdb redis.UniversalClient, schedulerID string, entries []dashboardEntry, ttl time.Duration) error {
	key := schedulerEntriesKey(schedulerID)
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		for _, e := range entries {
			p.RPush(ctx, key, e.encode())
		}
		p.Expire(ctx, key, ttl)
		// asynq compares this expiry with its own wall clock, not ours.
		p.ZAdd(ctx, allSchedulersKey, redis.Z{Score: float64(time.Now().Add(ttl).Unix()), Member: key})
		return nil
	})
	return err
}

// clearDashboardEntries removes schedulerID's entries (on losing the lead).
func clearDashboardEntries(ctx context.Context, rdb redis.UniversalClient, schedulerID string) error {
	key := schedulerEntriesKey(schedulerID)
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, allSchedulersKey, key)
		p.Del(ctx, key)
		return nil
	})
	return err
}

// recordEnqueue adds one enqueue event to an entry's history.
func recordEnqueue(ctx context.Context, rdb redis.UniversalClient, entryID, taskID string, at time.Time) error {
	key := schedulerHistoryKey(entryID)
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByRank(ctx, key, 0, -maxHistory)
		p.ZAdd(ctx, key, redis.Z{Score: float64(at.Unix()), Member: encodeEvent(taskID, at)})
		return nil
	})
	return err
}
