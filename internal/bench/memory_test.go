package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/internal/metrics"
	smsjobs "github.com/salonworks/jobs/internal/sms"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/scheduler"
	"github.com/salonworks/jobs/tasks"
	tasksalon "github.com/salonworks/jobs/tasks/salon"
	tasksms "github.com/salonworks/jobs/tasks/sms"
	tasksync "github.com/salonworks/jobs/tasks/sync"
)

var perDay = flag.Int("per-day", 1_000_000, "sms:send tasks a day for BenchmarkRetainedMemory")

// BenchmarkRetainedMemory measures the Redis memory that finished work holds
// at steady state when the platform sends -per-day texts a day, under the
// catalogue's retention: at steady state Redis holds every task completed
// in the last retention period of its kind (asynq's janitor deletes the
// older ones every few seconds). That population is made for real: the
// sms:send tasks of one retention period (IDs as the dispatchers name
// them, payloads as they enqueue them), and a day of the default
// schedule's tasks, enqueued with the production options and run to
// completion by the worker with the catalogue's queues. The memory is the
// sum of MEMORY USAGE over the database's keys; the increase of the
// server's used_memory is printed beside it (other clients of the server
// move that one).
func BenchmarkRetainedMemory(b *testing.B) {
	sms := queues.MustLookup(queues.SMS)
	sendRetention := sms.RetentionOf(tasksms.KindSend)
	nSend := int(int64(*perDay) * int64(sendRetention) / int64(24*time.Hour))
	entries, err := scheduler.Compile(scheduler.Defaults())
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		r := testenv.NewRedis(b)
		used0 := usedMemory(b, r)

		// A day of the schedule, each kept under its own retention.
		var scheduled []*asynq.Task
		day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		for i := range entries {
			e := &entries[i]
			k, _ := tasks.Lookup(e.Kind)
			keep := queues.MustLookup(k.Queue).RetentionOf(e.Kind)
			for _, tick := range e.Ticks(day.Add(24*time.Hour-keep), day.Add(24*time.Hour), 1<<20) {
				task, err := e.Task(tick)
				if err != nil {
					b.Fatal(err)
				}
				scheduled = append(scheduled, task)
			}
		}
		total := nSend + len(scheduled)
		var done atomic.Int64
		finished := make(chan struct{})
		count := func() {
			if done.Add(1) == int64(total) {
				close(finished)
			}
		}
		stop := startCatalogue(b, r, count)
		c := asynq.NewClientFromRedisClient(r.Client)
		var wg sync.WaitGroup
		var next atomic.Int64
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(total) {
						return
					}
					var task *asynq.Task
					var err error
					if i <= int64(nSend) {
						task, err = smsjobs.NewSendTask(1_000_000_000 + i)
					} else {
						task = scheduled[i-int64(nSend)-1]
					}
					if err == nil {
						_, err = c.Enqueue(task)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		select {
		case <-finished:
		case <-time.After(10 * time.Minute):
			b.Fatalf("only %d of %d tasks finished", done.Load(), total)
		}
		stop()

		keys, bytes := keyspaceMemory(b, r)
		used := usedMemory(b, r) - used0
		completed := 0
		for _, q := range queues.All() {
			n, err := r.Client.ZCard(context.Background(), "asynq:{"+q.Name+"}:completed").Result()
			if err != nil {
				b.Fatal(err)
			}
			completed += int(n)
		}
		per := float64(bytes) / float64(completed)
		fmt.Fprintf(os.Stderr, "retained at steady state for %d texts a day: %d sms:send (%s) + %d scheduled tasks (a day's schedule) = %d completed tasks in %d keys\n",
			*perDay, nSend, sendRetention, len(scheduled), completed, keys)
		fmt.Fprintf(os.Stderr, "  MEMORY USAGE, summed over the keys: %.1f MB (%.0f bytes per task); used_memory grew %.1f MB\n",
			mb(bytes), per, mb(used))
		fmt.Fprintf(os.Stderr, "  the same %d texts a day kept 24 h, as before: about %.0f MB\n", *perDay, per*float64(*perDay)/1e6)
		b.ReportMetric(mb(bytes), "MB-retained")
		b.ReportMetric(per, "bytes/task")
	}
}

// startCatalogue runs the worker with the catalogue's queues and a no-op
// handler for sms:send and the scheduled kinds, calling count per task.
func startCatalogue(t testing.TB, r *testenv.Redis, count func()) func() {
	h := worker.NewHandlers()
	worker.Handle(h, tasksms.KindSend, func(context.Context, *asynq.Task, *tasksms.SendPayload) error { count(); return nil })
	worker.Handle(h, tasksms.KindDispatchReviews, func(context.Context, *asynq.Task, *tasksms.DispatchReviewsPayload) error { count(); return nil })
	worker.Handle(h, tasksms.KindDispatchConfirmations, func(context.Context, *asynq.Task, *tasksms.DispatchConfirmationsPayload) error { count(); return nil })
	worker.Handle(h, tasksms.KindDispatchCampaigns, func(context.Context, *asynq.Task, *tasksms.DispatchCampaignsPayload) error { count(); return nil })
	worker.Handle(h, tasksync.KindDailyStats, func(context.Context, *asynq.Task, *tasksync.DailyStatsPayload) error { count(); return nil })
	worker.Handle(h, tasksalon.KindResetQueue, func(context.Context, *asynq.Task, *tasksalon.ResetQueuePayload) error { count(); return nil })
	w, err := worker.New(worker.Config{
		Redis: r.Client, Queues: queues.All(), Handlers: h,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: metrics.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	return w.Shutdown
}

// keyspaceMemory sums MEMORY USAGE over every key of r's database.
func keyspaceMemory(t testing.TB, r *testenv.Redis) (keys int, bytes int64) {
	ctx := context.Background()
	iter := r.Client.Scan(ctx, 0, "*", 1000).Iterator()
	var batch []string
	flush := func() {
		cmds, err := r.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.MemoryUsage(ctx, k, 0)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cmds {
			bytes += c.(*redis.IntCmd).Val()
		}
		keys += len(batch)
		batch = batch[:0]
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			flush()
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	flush()
	return keys, bytes
}

// usedMemory is the server's used_memory, for every database and client.
func usedMemory(t testing.TB, r *testenv.Redis) int64 {
	info, err := r.Client.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("INFO memory has no used_memory")
	return 0
}

func mb(n int64) float64 { return float64(n) / 1e6 }
