package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/tracing"
	"github.com/salonworks/jobs/tasks"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Migrate runs `jobs migrate up`: every embedded migration not yet
// applied, under a Postgres advisory lock.
func Migrate(ctx context.Context, cfg *config.Config, logger *slog.Logger) ([]postgres.Applied, error) {
	return postgres.Migrate(ctx, cfg.DatabaseURL(), logger)
}

// MigrationStatus runs `jobs migrate status`: every embedded migration and
// whether it is applied.
func MigrationStatus(ctx context.Context, cfg *config.Config) ([]postgres.MigrationStatus, error) {
	return postgres.Status(ctx, cfg.DatabaseURL())
}

// Seed runs `jobs seed`: the demo salon, idempotently.
func Seed(ctx context.Context, cfg *config.Config) (postgres.SeedReport, error) {
	pool, err := postgres.Connect(ctx, cfg.DatabaseURL())
	if err != nil {
		return postgres.SeedReport{}, err
	}
	defer pool.Close()
	rep, err := postgres.Seed(ctx, pool, time.Now())
	if err != nil {
		return rep, fmt.Errorf("seed: %w", err)
	}
	return rep, nil
}

// ErrTaskIDConflict is returned by Enqueue when a task with the same ID
// exists already: nothing was enqueued.
var ErrTaskIDConflict = asynq.ErrTaskIDConflict

// Enqueue runs `jobs enqueue`: the task of kind and payload (validated by
// the caller already, with tasks.NewTask) on its queue, with opts. With
// tracing configured (OTEL_*), the enqueue is a span whose context the task
// carries, flushed before Enqueue returns.
func Enqueue(ctx context.Context, cfg *config.Config, kind string, payload []byte, opts ...asynq.Option) (_ *asynq.TaskInfo, err error) {
	tp, err := Tracing(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		// Losing the span must not fail an enqueue that went through.
		_ = tp.Shutdown(flush)
	}()
	ctx, span := tracing.Tracer(tp).Start(ctx, "enqueue "+kind, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("jobs.task.kind", kind)))
	defer span.End()
	task, err := tasks.NewTask(kind, payload, append(opts, tasks.WithTraceContext(ctx))...)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(cfg.RedisOptions())
	defer rdb.Close()
	info, err := asynq.NewClientFromRedisClient(rdb).EnqueueContext(ctx, task)
	if err != nil && !errors.Is(err, ErrTaskIDConflict) {
		span.SetStatus(codes.Error, "enqueue failed")
		return nil, fmt.Errorf("enqueue %s: %w", task.Type(), err)
	}
	if info != nil {
		span.SetAttributes(attribute.String("jobs.task.id", info.ID), attribute.String("jobs.task.queue", info.Queue))
	}
	return info, err
}
