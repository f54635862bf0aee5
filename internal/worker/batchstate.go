package worker

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"
)

// The batch fetcher shows itself on the dashboard as asynq's servers do:
// a server record (host, process, its slots, its queue, when it started)
// and one worker record per running task (which task, since when, until
// when), written with every lease extension and expiring after two of
// them. The dashboard's Servers tab lists it beside the queue's asynq
// server, and its Active tab shows when each of its tasks started and its
// deadline. The records are asynq's ServerInfo and WorkerInfo protobufs
// (internal/proto/asynq.proto of asynq v0.26).

const (
	allServers = "asynq:servers"
	allWorkers = "asynq:workers"
)

// writeStateScript replaces a server's record and its workers' records.
//
// KEYS: server record, workers record
// ARGV: TTL (s), server record, then task ID, worker record, ...
var writeStateScript = redis.NewScript(`
redis.call("SETEX", KEYS[1], ARGV[1], ARGV[2])
redis.call("DEL", KEYS[2])
for i = 3, #ARGV - 1, 2 do
	redis.call("HSET", KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call("EXPIRE", KEYS[2], ARGV[1])
return 0`)

// serverIdentity is how the batch fetcher is named among the servers.
type serverIdentity struct {
	host  string
	pid   int
	id    string
	start time.Time
}

func newServerIdentity(id string) serverIdentity {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return serverIdentity{host: host, pid: os.Getpid(), id: id, start: time.Now()}
}

func (s serverIdentity) serverKey() string {
	return fmt.Sprintf("asynq:servers:{%s:%d:%s}", s.host, s.pid, s.id)
}

func (s serverIdentity) workersKey() string {
	return fmt.Sprintf("asynq:workers:{%s:%d:%s}", s.host, s.pid, s.id)
}

// writeState writes the batch fetcher's server and worker records, valid
// for ttl.
func (b *batchFetcher) writeState(ctx context.Context, running []*batchTask, ttl time.Duration) error {
	s := b.identity
	info := appendString(nil, 1, s.host)
	info = appendVarint(info, 2, uint64(s.pid))
	info = appendString(info, 3, s.id)
	info = appendVarint(info, 4, uint64(b.slots))
	entry := appendString(nil, 1, b.queueName)
	entry = appendVarint(entry, 2, 1)
	info = protowire.AppendTag(info, 5, protowire.BytesType)
	info = protowire.AppendBytes(info, entry)
	info = appendString(info, 7, "active")
	info = appendTimestamp(info, 8, s.start)
	info = appendVarint(info, 9, uint64(len(running)))
	args := []any{max(1, int64(math.Ceil(ttl.Seconds()))), info}
	for _, t := range running {
		w := appendString(nil, 1, s.host)
		w = appendVarint(w, 2, uint64(s.pid))
		w = appendString(w, 3, s.id)
		w = appendString(w, 4, t.msg.ID)
		w = appendString(w, 5, t.msg.Type)
		w = protowire.AppendTag(w, 6, protowire.BytesType)
		w = protowire.AppendBytes(w, t.msg.Payload)
		w = appendString(w, 7, t.msg.Queue)
		w = appendTimestamp(w, 8, t.started)
		w = appendTimestamp(w, 9, t.deadline)
		args = append(args, t.msg.ID, w)
	}
	exp := float64(time.Now().Add(ttl).Unix())
	if _, err := b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, allServers, redis.Z{Score: exp, Member: s.serverKey()})
		p.ZAdd(ctx, allWorkers, redis.Z{Score: exp, Member: s.workersKey()})
		return nil
	}); err != nil {
		return err
	}
	return writeStateScript.Run(ctx, b.rdb, []string{s.serverKey(), s.workersKey()}, args...).Err()
}

// clearState removes the batch fetcher's records at shutdown.
func (b *batchFetcher) clearState(ctx context.Context) error {
	s := b.identity
	_, err := b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, allServers, s.serverKey())
		p.ZRem(ctx, allWorkers, s.workersKey())
		p.Del(ctx, s.serverKey(), s.workersKey())
		return nil
	})
	return err
}

func appendString(b []byte, num protowire.Number, v string) []byte {
	if v == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, v)
}

// appendTimestamp appends a google.protobuf.Timestamp (seconds 1, nanos 2).
func appendTimestamp(b []byte, num protowire.Number, t time.Time) []byte {
	ts := appendVarint(nil, 1, uint64(t.Unix()))
	ts = appendVarint(ts, 2, uint64(t.Nanosecond()))
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, ts)
}
