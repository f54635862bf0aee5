package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/internal/logging"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/queues"
	"go.opentelemetry.io/otel/trace"
)

// DefaultPollInterval is how long an idle queue server waits before looking
// for work again; asynq sleeps between half and one and a half times it, so
// pickup latency on an idle queue is about this long at worst. asynq's own
// default is one second.
const DefaultPollInterval = 100 * time.Millisecond

// Config is what a Worker needs.
type Config struct {
	// Redis is shared by every queue server.
	Redis redis.UniversalClient
	// Queues are the queues this process serves (WORKER_QUEUES).
	Queues []queues.Queue
	// Handlers is the table of kind → handler, filled with Handle. A kind
	// missing from it is archived with "no handler for kind".
	Handlers *Handlers
	// ShutdownTimeout is how long in-flight tasks get to finish on
	// shutdown before they are returned to their queue.
	ShutdownTimeout time.Duration
	// PollInterval overrides DefaultPollInterval.
	PollInterval time.Duration
	// Logger receives one line per finished attempt.
	Logger *slog.Logger
	// Metrics receives outcomes and durations.
	Metrics *metrics.Metrics
	// Middleware wraps the mux inside the observing middleware, outermost
	// first.
	Middleware []func(asynq.Handler) asynq.Handler
	// TracerProvider receives a span per attempt; nil traces nothing.
	TracerProvider trace.TracerProvider
}

// Worker is a set of queue servers: for each queue, one asynq server per
// fetch loop (queues.Queue.Loops) and, for a wide queue, a batch fetcher
// (queues.Queue.BatchSlots), sharing the queue's concurrency.
type Worker struct {
	cfg      Config
	servers  []*asynq.Server
	batches  []*batchFetcher
	handlers []asynq.Handler
	names    []string // the queue each server serves
	queues   []string
	baseCtx  context.Context
	cancel   context.CancelFunc
	stopping atomic.Bool
	logger   *slog.Logger
}

// extraLoopPollInterval is how long the extra fetch loops of an idle queue
// wait before looking again: the first loop picks up new work at the
// worker's poll interval, and the others join it within about this long
// once the queue has work, so they add little to an idle worker's calls.
const extraLoopPollInterval = 2 * time.Second

// extraLoopHousekeeping is the interval of the extra loops' own forwarding
// of due scheduled and retry tasks and their cleaning of expired completed
// tasks: the first loop of the queue does both at its usual pace, so the
// extra loops' passes are a rarely needed second pair of hands.
const extraLoopHousekeeping = time.Minute

// New builds the servers; nothing runs until Start.
func New(cfg Config) (*Worker, error) {
	if cfg.Redis == nil || cfg.Handlers == nil || cfg.Logger == nil || cfg.Metrics == nil {
		return nil, errors.New("worker: Redis, Handlers, Logger and Metrics are required")
	}
	if len(cfg.Queues) == 0 {
		return nil, errors.New("worker: no queues to serve")
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	w := &Worker{cfg: cfg, logger: cfg.Logger}
	w.baseCtx, w.cancel = context.WithCancel(context.Background())
	var handler asynq.Handler = NewMux(cfg.Handlers)
	for i := len(cfg.Middleware) - 1; i >= 0; i-- {
		handler = cfg.Middleware[i](handler)
	}
	client := asynq.NewClientFromRedisClient(cfg.Redis)
	// The servers and the batch fetchers use the process's client as it
	// is. Through go-redis's autopipeliner (tried) every call waits for
	// the calls made with it: one asynq server fetching for 10 slots ran at
	// 0.61 times plain asynq's rate, at 0.98 without it.
	srvRedis := cfg.Redis
	for _, q := range cfg.Queues {
		// One handler chain per queue, shared by its loops: the in-flight
		// gauge and the counters are the queue's, whichever loop ran it.
		h := w.interruptible(continueRateLimited(q, client)(observe(q, cfg.Logger, cfg.Metrics, w.stopping.Load, cfg.TracerProvider)(handler)))
		poll := cfg.PollInterval
		if q.PollInterval > 0 {
			poll = q.PollInterval
		}
		batch := q.BatchSlots() > 0
		if batch {
			w.batches = append(w.batches, newBatchFetcher(q, srvRedis, h, poll, cfg.Logger))
		}
		for loop, share := range q.LoopConcurrency() {
			acfg := asynq.Config{
				Concurrency:       share,
				Queues:            map[string]int{q.Name: 1},
				TaskCheckInterval: poll,
				// Scheduled and retry tasks are moved to pending by every
				// live server; once a second keeps short delays short.
				DelayedTaskCheckInterval: time.Second,
				RetryDelayFunc:           retryDelay(q),
				IsFailure:                isFailure,
				ShutdownTimeout:          cfg.ShutdownTimeout,
				Logger:                   logging.Asynq{L: cfg.Logger.With("queue", q.Name)},
				LogLevel:                 asynq.WarnLevel,
			}
			if batch {
				// The batch fetcher picks up new work at the poll
				// interval; the server's own slots join it at their pace.
				acfg.TaskCheckInterval = max(poll, extraLoopPollInterval)
			}
			if q.Housekeeping > 0 {
				acfg.DelayedTaskCheckInterval = q.Housekeeping
				acfg.JanitorInterval = max(q.Housekeeping, 8*time.Second)
			}
			if loop > 0 {
				acfg.TaskCheckInterval = max(cfg.PollInterval, q.PollInterval, extraLoopPollInterval)
				acfg.DelayedTaskCheckInterval = extraLoopHousekeeping
				acfg.JanitorInterval = extraLoopHousekeeping
			}
			w.servers = append(w.servers, asynq.NewServerFromRedisClient(srvRedis, acfg))
			w.names = append(w.names, q.Name)
			w.handlers = append(w.handlers, h)
		}
		w.queues = append(w.queues, q.Name)
	}
	return w, nil
}

// interruptible gives handlers a context that shutdown cancels, while
// asynq's own task context stays live. asynq archives every failed attempt
// of a task whose retries are spent, whatever IsFailure says, so an
// interruption must not reach it as a failure: the handler's interrupted
// attempt waits instead until asynq's shutdown timeout requeues the task
// (unchanged, no retry spent) and ends its context.
func (w *Worker) interruptible(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		hctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(w.baseCtx, cancel)
		defer stop()
		err := next.ProcessTask(hctx, t)
		if err != nil && w.stopping.Load() && errors.Is(err, context.Canceled) {
			<-ctx.Done()
		}
		return err
	})
}

// retryDelay returns the queue's backoff, except that a rate-limited attempt
// waits the delay the provider named. (An attempt interrupted by shutdown
// never reaches asynq as a failure: see interruptible.)
func retryDelay(q queues.Queue) asynq.RetryDelayFunc {
	return func(n int, err error, _ *asynq.Task) time.Duration {
		if d, ok := plannedDelay(err); ok {
			return d
		}
		if rl, ok := taskerr.AsRateLimit(err); ok {
			return rl.Delay
		}
		return q.Backoff(n)
	}
}

// isFailure tells asynq whether an error spends a retry: rate limits do not.
func isFailure(err error) bool {
	if _, ok := taskerr.AsRateLimit(err); ok {
		return false
	}
	return err != nil
}

// Start starts every queue server (every fetch loop of every queue). On error the servers already started are
// shut down.
func (w *Worker) Start() error {
	for i, srv := range w.servers {
		if err := srv.Start(w.handlers[i]); err != nil {
			for _, started := range w.servers[:i] {
				started.Shutdown()
			}
			return fmt.Errorf("start %s queue server: %w", w.names[i], err)
		}
	}
	for _, b := range w.batches {
		b.start()
	}
	w.logger.Info("worker started", "queues", w.queues, "fetch_loops", len(w.servers), "batch_fetchers", len(w.batches))
	return nil
}

// Shutdown stops every server from fetching, gives in-flight tasks the
// shutdown timeout to finish, and returns the rest to their queue without
// spending a retry: handlers see their context cancelled shortly before the
// timeout, and asynq requeues whatever is still running when it expires.
func (w *Worker) Shutdown() {
	w.logger.Info("worker stopping", "timeout", w.cfg.ShutdownTimeout.String())
	// asynq's Stop returns once the server's fetch loop has finished what
	// it is doing, an idle poll's sleep included (up to 3 s for an extra
	// loop): the servers stop side by side, not one after the other.
	var stopped sync.WaitGroup
	for _, b := range w.batches {
		stopped.Add(1)
		go func() {
			defer stopped.Done()
			b.stop()
		}()
	}
	for _, srv := range w.servers {
		stopped.Add(1)
		go func() {
			defer stopped.Done()
			srv.Stop()
		}()
	}
	stopped.Wait()
	grace := min(2*time.Second, w.cfg.ShutdownTimeout/10)
	timer := time.AfterFunc(w.cfg.ShutdownTimeout-grace, func() {
		w.stopping.Store(true)
		w.cancel()
	})
	defer timer.Stop()
	var wg sync.WaitGroup
	for _, b := range w.batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.shutdown(w.cfg.ShutdownTimeout)
		}()
	}
	for _, srv := range w.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.Shutdown()
		}()
	}
	wg.Wait()
	w.cancel()
	w.logger.Info("worker stopped")
}
