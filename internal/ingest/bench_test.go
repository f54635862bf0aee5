package ingest_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/tasks"
)

var (
	benchEntries     = flag.Int("ingest-entries", 100_000, "stream entries per ingest benchmark round")
	benchBatch       = flag.Int("ingest-batch", 0, "Config.Batch of the benchmark (0: the default)")
	benchConcurrency = flag.Int("ingest-concurrency", 0, "Config.Concurrency of the benchmark (0: the default)")
	benchInFlight    = flag.Int("ingest-inflight", 0, "Config.InFlightBatches of the benchmark (0: the default)")
	benchRounds      = flag.Int("ingest-rounds", 3, "alternating rounds of the bridge and of plain asynq")
)

// benchFields is entry i of the benchmark: half keyed emails as the API
// sends them, half unkeyed SMS by outbox row.
func benchFields(i int) []any {
	if i%2 == 0 {
		return []any{"kind", "email:send", "idempotency_key", fmt.Sprintf("welcome:%d", i),
			"payload", fmt.Sprintf(`{"template":"welcome","to":"user%d@example.com","data":{"name":"User %d"}}`, i, i)}
	}
	return []any{"kind", "sms:send", "payload", fmt.Sprintf(`{"message_id":%d}`, i)}
}

// preload appends n entries in pipelines of 1,000.
func preload(b *testing.B, rdb *redis.Client, n int) {
	b.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+1000, n); i++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: ingest.Stream, Values: benchFields(i)})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngest measures entries per second from XADD to enqueued asynq
// task: the stream is filled first (pipelined XADDs), then the clock runs
// while one bridge drains it: read, validate, claim keys, enqueue, ack.
// "plain asynq" enqueues the same tasks, validated by tasks.NewTask, with
// asynq.Client from DefaultConcurrency goroutines: the reference, on the
// same Redis. Rounds alternate so both see the same machine; the median of
// each is reported. Run:
//
//	go test -run '^$' -bench Ingest -benchtime 1x ./internal/ingest/ -args -ingest-rounds 5
func BenchmarkIngest(b *testing.B) {
	n := *benchEntries
	r := testenv.NewRedis(b) // one database for every round, emptied between them
	for range b.N {
		var bridge, plain []float64
		for round := 1; round <= *benchRounds; round++ {
			bridge = append(bridge, drainWithBridge(b, r, n))
			plain = append(plain, enqueueWithAsynq(b, r, n))
			fmt.Printf("round %d: bridge %.0f entries/s, plain asynq %.0f tasks/s\n", round, bridge[len(bridge)-1], plain[len(plain)-1])
		}
		b.ReportMetric(median(bridge), "bridge-entries/s")
		b.ReportMetric(median(plain), "asynq-tasks/s")
		fmt.Printf("median of %d rounds of %d: bridge %.0f entries/s, plain asynq %.0f tasks/s\n", *benchRounds, n, median(bridge), median(plain))
	}
}

// drainWithBridge returns the rate at which a bridge drains n entries.
func drainWithBridge(b *testing.B, r *testenv.Redis, n int) float64 {
	b.StopTimer()
	defer b.StartTimer()
	r.Client.FlushDB(context.Background())
	preload(b, r.Client, n)
	br, reg := newBridge(b, r.Client, func(c *ingest.Config) {
		c.Block = time.Second
		c.Batch, c.Concurrency, c.InFlightBatches = *benchBatch, *benchConcurrency, *benchInFlight
	})
	start := time.Now()
	startBridge(b, br)
	waitSettled(b, br, 5*time.Minute)
	elapsed := time.Since(start)
	if got := counter(b, reg, ingest.OutcomeEnqueued); got != float64(n) {
		b.Fatalf("enqueued %v, want %d", got, n)
	}
	br.Shutdown()
	return float64(n) / elapsed.Seconds()
}

// enqueueWithAsynq returns the rate at which plain asynq enqueues n tasks.
func enqueueWithAsynq(b *testing.B, r *testenv.Redis, n int) float64 {
	b.StopTimer()
	defer b.StartTimer()
	r.Client.FlushDB(context.Background())
	client := asynq.NewClientFromRedisClient(r.Client)
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	for range ingest.DefaultConcurrency {
		wg.Go(func() {
			for i := range work {
				f := benchFields(i)
				task, err := tasks.NewTask(f[1].(string), []byte(f[len(f)-1].(string)))
				if err == nil {
					_, err = client.Enqueue(task)
				}
				if err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	return float64(n) / elapsed.Seconds()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
