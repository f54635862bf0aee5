package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	tasksync "github.com/salonworks/jobs/tasks/sync"
)

var (
	numTasks    = flag.Int("tasks", 50000, "no-op tasks per throughput round")
	concurrency = flag.Int("concurrency", 50, "handler concurrency, the same for both")
	rounds      = flag.Int("rounds", 2, "alternating rounds of each")
	latencyN    = flag.Int("latency-tasks", 500, "tasks for the pickup latency measure, at 100/s")
)

const benchQueue = "bench"

// benchKind is a kind of the catalogue whose empty payload is valid: the
// jobs worker serves only the catalogue's kinds, and decodes every payload
// first, as in production.
const benchKind = tasksync.KindDailyStats

// system is one way of running a queue: start it with a handler, stop it.
type system struct {
	name  string
	start func(t testing.TB, r *testenv.Redis, h asynq.Handler) (stop func())
}

func plainAsynq() system {
	return system{name: "plain asynq", start: func(t testing.TB, r *testenv.Redis, h asynq.Handler) func() {
		srv := asynq.NewServer(r.ConnOpt(), asynq.Config{
			Concurrency: *concurrency,
			Queues:      map[string]int{benchQueue: 1},
			LogLevel:    asynq.WarnLevel,
		})
		if err := srv.Start(h); err != nil {
			t.Fatal(err)
		}
		return srv.Shutdown
	}}
}

func jobsWorker() system {
	return system{name: "jobs worker", start: func(t testing.TB, r *testenv.Redis, h asynq.Handler) func() {
		handlers := worker.NewHandlers()
		worker.Handle(handlers, benchKind, func(ctx context.Context, task *asynq.Task, _ *tasksync.DailyStatsPayload) error {
			return h.ProcessTask(ctx, task)
		})
		w, err := worker.New(worker.Config{
			Redis: r.Client,
			Queues: []queues.Queue{{Name: benchQueue, Concurrency: *concurrency, MaxRetry: 3,
				Timeout: time.Minute, BackoffBase: time.Second, BackoffCap: time.Minute}},
			Handlers: handlers,
			// Every middleware on, logging in JSON as in production (to
			// a discarding writer so the terminal is not the bottleneck).
			Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
			Metrics: metrics.New(),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		return w.Shutdown
	}}
}

// enqueueAll puts n no-op tasks on the bench queue with 8 producers.
func enqueueAll(t testing.TB, r *testenv.Redis, n int) {
	c := asynq.NewClientFromRedisClient(r.Client)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if _, err := c.Enqueue(asynq.NewTask(benchKind, nil), asynq.Queue(benchQueue), asynq.MaxRetry(3)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// throughput enqueues n tasks, then times s processing all of them.
func throughput(t testing.TB, s system, n int) float64 {
	r := testenv.NewRedis(t)
	enqueueAll(t, r, n)
	var done atomic.Int64
	finished := make(chan struct{})
	h := asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		if done.Add(1) == int64(n) {
			close(finished)
		}
		return nil
	})
	begin := time.Now()
	stop := s.start(t, r, h)
	<-finished
	elapsed := time.Since(begin)
	stop()
	return float64(n) / elapsed.Seconds()
}

func BenchmarkThroughput(b *testing.B) {
	systems := []system{plainAsynq(), jobsWorker()}
	rates := map[string][]float64{}
	for range b.N {
		for round := range *rounds {
			for _, s := range systems {
				rate := throughput(b, s, *numTasks)
				rates[s.name] = append(rates[s.name], rate)
				fmt.Fprintf(os.Stderr, "round %d: %-12s %8.0f tasks/s\n", round+1, s.name, rate)
			}
		}
	}
	plain, jobs := median(rates["plain asynq"]), median(rates["jobs worker"])
	fmt.Fprintf(os.Stderr, "median of %d rounds, %d no-op tasks, concurrency %d:\n  plain asynq %8.0f tasks/s\n  jobs worker %8.0f tasks/s\n  ratio       %8.3f\n",
		*rounds, *numTasks, *concurrency, plain, jobs, jobs/plain)
	b.ReportMetric(plain, "asynq-tasks/s")
	b.ReportMetric(jobs, "jobs-tasks/s")
	b.ReportMetric(jobs/plain, "ratio")
}

// BenchmarkPickupLatency measures enqueue-to-handler-start on idle queues,
// at 100 tasks per second.
func BenchmarkPickupLatency(b *testing.B) {
	for range b.N {
		for _, s := range []system{plainAsynq(), jobsWorker()} {
			p50, p99 := pickup(b, s, *latencyN)
			fmt.Fprintf(os.Stderr, "pickup latency %-12s p50 %6.1f ms  p99 %6.1f ms  (%d tasks at 100/s)\n", s.name, ms(p50), ms(p99), *latencyN)
			b.ReportMetric(ms(p50), s.short()+"-p50-ms")
			b.ReportMetric(ms(p99), s.short()+"-p99-ms")
		}
	}
}

func (s system) short() string {
	if s.name == "plain asynq" {
		return "asynq"
	}
	return "jobs"
}

func pickup(t testing.TB, s system, n int) (p50, p99 time.Duration) {
	r := testenv.NewRedis(t)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	wg.Add(n)
	// The send time travels in the task ID: the payload must stay valid.
	h := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		nanos, _ := strconv.ParseInt(id, 10, 64)
		sent := time.Unix(0, nanos)
		mu.Lock()
		lat = append(lat, time.Since(sent))
		mu.Unlock()
		wg.Done()
		return nil
	})
	stop := s.start(t, r, h)
	defer stop()
	time.Sleep(2 * time.Second) // let the queue go idle
	c := asynq.NewClientFromRedisClient(r.Client)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for range n {
		<-tick.C
		id := strconv.FormatInt(time.Now().UnixNano(), 10)
		if _, err := c.Enqueue(asynq.NewTask(benchKind, nil), asynq.Queue(benchQueue), asynq.TaskID(id)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100]
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
