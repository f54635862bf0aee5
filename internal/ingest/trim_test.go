package ingest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/testenv"
)

// streamFixture drives a consumer group by hand to lay out acknowledged,
// pending and undelivered entries.
type streamFixture struct {
	t   *testing.T
	rdb *redis.Client
}

func (f streamFixture) add(n int) []string {
	f.t.Helper()
	ctx := context.Background()
	cmds, err := f.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			p.XAdd(ctx, &redis.XAddArgs{Stream: ingest.Stream, Values: []any{"kind", "upload:process", "payload", fmt.Sprintf(`{"upload_id":%d}`, i+1)}})
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	ids := make([]string, n)
	for i, c := range cmds {
		ids[i] = c.(*redis.StringCmd).Val()
	}
	return ids
}

func (f streamFixture) group(name string) {
	f.t.Helper()
	if err := f.rdb.XGroupCreateMkStream(context.Background(), ingest.Stream, name, "0").Err(); err != nil {
		f.t.Fatal(err)
	}
}

// read delivers n entries to consumer of group and acknowledges them when
// ack is set; it returns their IDs.
func (f streamFixture) read(group, consumer string, n int, ack bool) []string {
	f.t.Helper()
	ctx := context.Background()
	res, err := f.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: consumer,
		Streams: []string{ingest.Stream, ">"}, Count: int64(n)}).Result()
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []string
	for _, m := range res[0].Messages {
		ids = append(ids, m.ID)
	}
	if ack {
		if err := f.rdb.XAck(ctx, ingest.Stream, group, ids...).Err(); err != nil {
			f.t.Fatal(err)
		}
	}
	return ids
}

func TestTrimNeverDropsUnacknowledgedEntries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		maxLen   int64
		setup    func(f streamFixture) (needed []string)
		wantMode string
		minLen   int64 // length after trimming, within [minLen, maxLen]
		maxLenAf int64
	}{
		{name: "no longer than MaxLen: untouched", maxLen: 1000,
			setup: func(f streamFixture) []string {
				f.group(group)
				f.add(500)
				f.read(group, "c", 500, true)
				return nil
			}, wantMode: "none", minLen: 500, maxLenAf: 500},
		{name: "everything acknowledged: cut to about MaxLen", maxLen: 200,
			setup: func(f streamFixture) []string {
				f.group(group)
				f.add(1000)
				f.read(group, "c", 1000, true)
				return nil
			}, wantMode: "maxlen", minLen: 200, maxLenAf: 300},
		{name: "undelivered entries within MaxLen: cut to about MaxLen", maxLen: 200,
			setup: func(f streamFixture) []string {
				f.group(group)
				ids := f.add(1000)
				f.read(group, "c", 900, true)
				return ids[900:]
			}, wantMode: "maxlen", minLen: 200, maxLenAf: 300},
		{name: "pending entries of a dead consumer survive", maxLen: 200,
			setup: func(f streamFixture) []string {
				f.group(group)
				f.add(1000)
				f.read(group, "live", 300, true)
				pending := f.read(group, "dead", 50, false)
				f.read(group, "live", 650, true)
				return pending
			}, wantMode: "minid", minLen: 700, maxLenAf: 1000},
		{name: "undelivered backlog longer than MaxLen survives", maxLen: 200,
			setup: func(f streamFixture) []string {
				f.group(group)
				ids := f.add(1000)
				f.read(group, "c", 600, true)
				return ids[600:]
			}, wantMode: "minid", minLen: 400, maxLenAf: 1000},
		{name: "a group that never read holds everything", maxLen: 200,
			setup: func(f streamFixture) []string {
				f.group(group)
				f.group("analytics")
				ids := f.add(1000)
				f.read(group, "c", 1000, true)
				return ids
			}, wantMode: "minid", minLen: 1000, maxLenAf: 1000},
		{name: "a slower group's pending entries survive", maxLen: 200,
			setup: func(f streamFixture) []string {
				f.group(group)
				f.group("analytics")
				ids := f.add(1000)
				f.read(group, "c", 1000, true)
				f.read("analytics", "a", 500, true)
				pending := f.read("analytics", "a", 10, false)
				f.read("analytics", "a", 490, true)
				return append(pending, ids[999])
			}, wantMode: "minid", minLen: 490, maxLenAf: 1000},
		{name: "no group: untouched", maxLen: 200,
			setup: func(f streamFixture) []string {
				return f.add(1000)
			}, wantMode: "none", minLen: 1000, maxLenAf: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _ := redisFor(t)
			needed := tt.setup(streamFixture{t: t, rdb: r.Client})
			b, _ := newBridge(t, r.Client, func(c *ingest.Config) { c.MaxLen = tt.maxLen })
			res, err := b.Trim(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != tt.wantMode {
				t.Errorf("mode %q, want %q (result %+v)", res.Mode, tt.wantMode, res)
			}
			n, err := r.Client.XLen(context.Background(), ingest.Stream).Result()
			if err != nil {
				t.Fatal(err)
			}
			if n < tt.minLen || n > tt.maxLenAf {
				t.Errorf("length %d after trimming, want within [%d, %d] (result %+v)", n, tt.minLen, tt.maxLenAf, res)
			}
			for _, id := range needed {
				got, err := r.Client.XRange(context.Background(), ingest.Stream, id, id).Result()
				if err != nil || len(got) != 1 {
					t.Fatalf("entry %s, still needed, was trimmed (result %+v)", id, res)
				}
			}
		})
	}
}

func TestRunningBridgeKeepsTheStreamBounded(t *testing.T) {
	t.Parallel()
	r, _ := redisFor(t)
	b, _ := newBridge(t, r.Client, func(c *ingest.Config) {
		c.MaxLen = 200
		c.TrimInterval = 20 * time.Millisecond
	})
	startBridge(t, b)
	f := streamFixture{t: t, rdb: r.Client}
	for range 4 {
		f.add(500)
	}
	waitSettled(t, b, 20*time.Second)
	testenv.WaitFor(t, 10*time.Second, "the stream to be trimmed", func() bool {
		n, err := r.Client.XLen(context.Background(), ingest.Stream).Result()
		return err == nil && n <= 300
	})
}
