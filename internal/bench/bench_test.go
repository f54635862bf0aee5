package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	tasksync "github.com/salonworks/jobs/tasks/sync"
)

var (
	numTasks    = flag.Int("tasks", 50000, "no-op tasks per throughput round")
	concurrency = flag.Int("concurrency", 50, "handler concurrency, the same for every system")
	rounds      = flag.Int("rounds", 3, "alternating rounds of each system")
	loops       = flag.Int("loops", 0, "asynq servers of the jobs worker's bench queue, without batch fetcher (0: the rule of queues.Queue.Loops and BatchSlots)")
	bullmqDir   = flag.String("bullmq", "../../../shared/bench/bullmq", "BullMQ bench folder (bench.mjs with node_modules installed); empty or missing skips BullMQ")
	only        = flag.String("systems", "asynq,jobs,bullmq", "systems the throughput bench runs, a comma-separated subset of asynq, jobs, bullmq")
	latencyN    = flag.Int("latency-tasks", 500, "tasks for the pickup latency measure, at 100/s")
)

const benchQueue = "bench"

// benchKind is a kind of the catalogue whose empty payload is valid: the
// jobs worker serves only the catalogue's kinds, and decodes every payload
// first, as in production.
const benchKind = tasksync.KindDailyStats

// system is one way of processing the bench queue. process enqueues n
// no-op tasks into r, then returns how many it processed per second,
// timed from the moment it starts processing.
type system struct {
	name    string
	process func(t testing.TB, r *testenv.Redis, n int) float64
}

// goSystem is a Go server started with a handler over tasks enqueued
// beforehand with asynq's client.
func goSystem(name string, start func(t testing.TB, r *testenv.Redis, h asynq.Handler) (stop func())) system {
	return system{name: name, process: func(t testing.TB, r *testenv.Redis, n int) float64 {
		enqueueAll(t, r, n)
		var done atomic.Int64
		finished := make(chan struct{})
		h := asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
			if done.Add(1) == int64(n) {
				close(finished)
			}
			return nil
		})
		cpu0, rcpu0 := processCPU(), redisCPU(t, r)
		begin := time.Now()
		stop := start(t, r, h)
		<-finished
		elapsed := time.Since(begin)
		cpu, rcpu := processCPU()-cpu0, redisCPU(t, r)-rcpu0
		stop()
		fmt.Fprintf(os.Stderr, "         %-12s CPU per task: %.1f µs in this process, %.1f µs in Redis (all its clients)\n",
			name, float64(cpu.Microseconds())/float64(n), float64(rcpu.Microseconds())/float64(n))
		return float64(n) / elapsed.Seconds()
	}}
}

func plainAsynq() system {
	return goSystem("plain asynq", startPlain)
}

func startPlain(t testing.TB, r *testenv.Redis, h asynq.Handler) func() {
	srv := asynq.NewServer(r.ConnOpt(), asynq.Config{
		Concurrency: *concurrency,
		Queues:      map[string]int{benchQueue: 1},
		LogLevel:    asynq.WarnLevel,
	})
	if err := srv.Start(h); err != nil {
		t.Fatal(err)
	}
	return srv.Shutdown
}

func jobsWorker() system {
	return goSystem("jobs worker", func(t testing.TB, r *testenv.Redis, h asynq.Handler) func() {
		q := benchQueueOf(*concurrency, *loops)
		return startJobs(t, r, []queues.Queue{q}, h)
	})
}

// benchQueueOf is the bench queue as the catalogue would declare it.
func benchQueueOf(concurrency, loops int) queues.Queue {
	return queues.Queue{Name: benchQueue, Concurrency: concurrency, FetchLoops: loops, MaxRetry: 3,
		Timeout: time.Minute, BackoffBase: time.Second, BackoffCap: time.Minute}
}

// startJobs runs the jobs worker over qs, every middleware on, logging in
// JSON as in production (to a discarding writer so the terminal is not the
// bottleneck); h handles benchKind.
func startJobs(t testing.TB, r *testenv.Redis, qs []queues.Queue, h asynq.Handler) func() {
	handlers := worker.NewHandlers()
	worker.Handle(handlers, benchKind, func(ctx context.Context, task *asynq.Task, _ *tasksync.DailyStatsPayload) error {
		return h.ProcessTask(ctx, task)
	})
	w, err := worker.New(worker.Config{
		Redis:    r.Client,
		Queues:   qs,
		Handlers: handlers,
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:  metrics.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	return w.Shutdown
}

// bullmq runs bench.mjs of dir, which adds n jobs with 16 concurrent
// callers and then times one BullMQ Worker of the same concurrency
// processing them with a no-op processor (removeOnComplete, like the Go
// systems' tasks without retention).
func bullmq(dir string) system {
	return system{name: "BullMQ", process: func(t testing.TB, r *testenv.Redis, n int) float64 {
		cmd := exec.Command("node", "bench.mjs")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "N="+strconv.Itoa(n), "C=16", "W="+strconv.Itoa(*concurrency), "REDIS_URL="+r.URL())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bullmq bench: %v\n%s", err, stderr.String())
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			var line struct {
				Phase     string  `json:"phase"`
				PerSecond float64 `json:"per_second"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Phase == "process" {
				return line.PerSecond
			}
		}
		t.Fatalf("bullmq bench printed no process line:\n%s", out)
		return 0
	}}
}

// bullmqReady reports whether the BullMQ bench can run, and why not.
func bullmqReady() (string, error) {
	if *bullmqDir == "" {
		return "", fmt.Errorf("no -bullmq folder given")
	}
	dir, err := filepath.Abs(*bullmqDir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "bench.mjs")); err != nil {
		return "", fmt.Errorf("%s has no bench.mjs", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "bullmq")); err != nil {
		return "", fmt.Errorf("%s has no node_modules (run npm ci there)", dir)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("node is not installed")
	}
	return dir, nil
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

// BenchmarkThroughput runs plain asynq, the jobs worker and BullMQ in
// alternating rounds over the same number of no-op tasks at the same
// concurrency, each round on an emptied Redis database, and prints the
// medians and their ratios.
func BenchmarkThroughput(b *testing.B) {
	var systems []system
	want := strings.Split(*only, ",")
	if slices.Contains(want, "asynq") {
		systems = append(systems, plainAsynq())
	}
	if slices.Contains(want, "jobs") {
		systems = append(systems, jobsWorker())
	}
	if slices.Contains(want, "bullmq") {
		if dir, err := bullmqReady(); err != nil {
			fmt.Fprintf(os.Stderr, "BullMQ skipped: %v\n", err)
		} else {
			systems = append(systems, bullmq(dir))
		}
	}
	q := benchQueueOf(*concurrency, *loops)
	fmt.Fprintf(os.Stderr, "%d no-op tasks, concurrency %d, %d rounds; jobs worker with %d asynq servers %v and %d batch slots\n",
		*numTasks, *concurrency, *rounds, q.Loops(), q.LoopConcurrency(), q.BatchSlots())
	rates := map[string][]float64{}
	for range b.N {
		for round := range *rounds {
			for _, s := range systems {
				r := testenv.NewRedis(b)
				rate := s.process(b, r, *numTasks)
				rates[s.name] = append(rates[s.name], rate)
				fmt.Fprintf(os.Stderr, "round %d: %-12s %8.0f tasks/s\n", round+1, s.name, rate)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "median of %d rounds:\n", *rounds)
	for _, s := range systems {
		fmt.Fprintf(os.Stderr, "  %-12s %8.0f tasks/s\n", s.name, median(rates[s.name]))
	}
	plain, jobs, bull := median(rates["plain asynq"]), median(rates["jobs worker"]), median(rates["BullMQ"])
	for _, m := range []struct {
		unit string
		v    float64
	}{{"asynq-tasks/s", plain}, {"jobs-tasks/s", jobs}, {"bullmq-jobs/s", bull}} {
		if m.v > 0 {
			b.ReportMetric(m.v, m.unit)
		}
	}
	for _, r := range []struct {
		name, unit string
		a, b       float64
	}{{"jobs / plain asynq", "jobs/asynq", jobs, plain}, {"jobs / BullMQ", "jobs/bullmq", jobs, bull}, {"BullMQ / plain asynq", "bullmq/asynq", bull, plain}} {
		if r.a > 0 && r.b > 0 {
			fmt.Fprintf(os.Stderr, "  %-20s %6.2f\n", r.name, r.a/r.b)
			b.ReportMetric(r.a/r.b, r.unit)
		}
	}
}

// BenchmarkPickupLatency measures enqueue-to-handler-start on idle queues,
// at 100 tasks per second.
func BenchmarkPickupLatency(b *testing.B) {
	starts := []struct {
		name, short string
		start       func(t testing.TB, r *testenv.Redis, h asynq.Handler) func()
	}{
		{"plain asynq", "asynq", startPlain},
		{"jobs worker", "jobs", func(t testing.TB, r *testenv.Redis, h asynq.Handler) func() {
			return startJobs(t, r, []queues.Queue{benchQueueOf(*concurrency, *loops)}, h)
		}},
	}
	for range b.N {
		for _, s := range starts {
			p50, p99 := pickup(b, s.start, *latencyN)
			fmt.Fprintf(os.Stderr, "pickup latency %-12s p50 %6.1f ms  p99 %6.1f ms  (%d tasks at 100/s)\n", s.name, ms(p50), ms(p99), *latencyN)
			b.ReportMetric(ms(p50), s.short+"-p50-ms")
			b.ReportMetric(ms(p99), s.short+"-p99-ms")
		}
	}
}

func pickup(t testing.TB, start func(t testing.TB, r *testenv.Redis, h asynq.Handler) func(), n int) (p50, p99 time.Duration) {
	r := testenv.NewRedis(t)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	wg.Add(n)
	// The send time travels in the task ID: the payload must stay valid.
	h := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		id, _ := taskinfo.ID(ctx)
		nanos, _ := strconv.ParseInt(id, 10, 64)
		sent := time.Unix(0, nanos)
		mu.Lock()
		lat = append(lat, time.Since(sent))
		mu.Unlock()
		wg.Done()
		return nil
	})
	stop := start(t, r, h)
	defer stop()
	time.Sleep(3 * time.Second) // let the queue go idle
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

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is the CPU time the Redis server has used, for every client:
// other processes' work on the same server counts too.
func redisCPU(t testing.TB, r *testenv.Redis) time.Duration {
	info, err := r.Client.Info(context.Background(), "cpu").Result()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
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
