// Package app builds every process of the daemon from its configuration
// (Worker, Scheduler, Admin, Dev, and the one-shot Migrate, Seed, Enqueue
// and SchedulerLeader): connections, handlers, background services,
// health, metrics and the HTTP server, with one graceful shutdown path
// (Run). cmd/jobs only parses the command line, loads the configuration
// through Load and calls in.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/tracing"
	"github.com/salonworks/jobs/queues"
)

// Deps are the connections and instruments one process shares.
type Deps struct {
	Config  *config.Config
	Logger  *slog.Logger
	Redis   *redis.Client
	DB      *pgxpool.Pool
	Metrics *metrics.Metrics
	// Tracing is the process's tracer provider: the no-op one unless the
	// process traces (Needs.Tracing) and OTEL_* configures an exporter.
	Tracing *tracing.Provider
	Queues  []queues.Queue
	Started time.Time
	// IngestLag reports the ingest bridge's lag for /health/ready; set by
	// WorkerParts when the bridge runs.
	IngestLag func(context.Context) (int64, error)
	// IngestAbandoned names abandoned ingest consumer groups, likewise.
	IngestAbandoned func(context.Context) ([]string, error)
	// Routes add handlers (webhooks, the dashboard) to the process's HTTP
	// server beside health and metrics.
	Routes []func(*http.ServeMux)
}

// Needs says which connections a process opens.
type Needs struct {
	// Postgres is false for the scheduler, which only talks to Redis.
	Postgres bool
	// Worker is true for the processes that serve queues: Deps.Queues is
	// then WORKER_QUEUES; otherwise every queue, whose backlog the health
	// check reports.
	Worker bool
	// Tracing is true for the processes that export spans (OTEL_*).
	Tracing bool
}

// Connect opens Redis and, when needed, Postgres, retrying for up to
// connectWait so a process started alongside its dependencies (compose, a
// fresh ECS task) does not crash-loop.
func Connect(ctx context.Context, cfg *config.Config, logger *slog.Logger, needs Needs) (*Deps, error) {
	qs := queues.All()
	if needs.Worker {
		var err error
		if qs, err = queues.Select(cfg.WorkerQueues); err != nil {
			return nil, fmt.Errorf("WORKER_QUEUES: %w", err)
		}
	}
	d := &Deps{Config: cfg, Logger: logger, Metrics: metrics.New(), Queues: qs, Started: time.Now(), Tracing: tracing.Off()}
	if needs.Tracing {
		tp, err := Tracing(ctx, cfg)
		if err != nil {
			return nil, err
		}
		d.Tracing = tp
	}
	opts := cfg.RedisOptions()
	concurrency := 0
	for _, q := range qs {
		concurrency += q.Concurrency
	}
	// Every running task may touch Redis when it finishes, plus each
	// fetch loop's heartbeat, forwarder, janitor (or the batch fetcher's
	// fetching, finishing and leases) and the health checks.
	loops := 0
	for _, q := range qs {
		loops += len(q.LoopConcurrency())
		if q.BatchSlots() > 0 {
			loops++
		}
	}
	opts.PoolSize = max(opts.PoolSize, concurrency+8*loops+8)
	d.Redis = redis.NewClient(opts)
	if err := retry(ctx, logger, "redis", func(ctx context.Context) error { return d.Redis.Ping(ctx).Err() }); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to redis at %s: %w", opts.Addr, err)
	}
	if needs.Postgres {
		err := retry(ctx, logger, "postgres", func(ctx context.Context) error {
			pool, err := postgres.Connect(ctx, cfg.DatabaseURL(), func(c *pgxpool.Config) {
				if !tracing.IsOff(d.Tracing) {
					c.ConnConfig.Tracer = tracing.NewPgxTracer(d.Tracing)
				}
			})
			if err == nil {
				d.DB = pool
			}
			return err
		})
		if err != nil {
			d.Close()
			return nil, err
		}
	}
	d.Metrics.RegisterQueues(asynq.NewInspectorFromRedisClient(d.Redis), queues.Names(), logger)
	return d, nil
}

// connectWait bounds how long Connect waits for a dependency.
const connectWait = 20 * time.Second

func retry(ctx context.Context, logger *slog.Logger, what string, f func(context.Context) error) error {
	deadline := time.Now().Add(connectWait)
	delay := 250 * time.Millisecond
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f(attemptCtx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		logger.Warn("dependency not reachable yet, retrying", "dependency", what, "err", err.Error(), "retry_in", delay.String())
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 4*time.Second)
	}
}

// Close releases the connections and flushes the spans still buffered.
func (d *Deps) Close() {
	if d.Tracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := d.Tracing.Shutdown(ctx); err != nil {
			d.Logger.Warn("flush traces", "err", err.Error())
		}
		cancel()
	}
	if d.DB != nil {
		d.DB.Close()
	}
	if d.Redis != nil {
		d.Redis.Close()
	}
}
