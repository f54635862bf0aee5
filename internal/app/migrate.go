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

// Enqueue runs `jobs enqueue`: task, validated by the caller, on its
// queue.
func Enqueue(ctx context.Context, cfg *config.Config, task *asynq.Task) (*asynq.TaskInfo, error) {
	rdb := redis.NewClient(cfg.RedisOptions())
	defer rdb.Close()
	info, err := asynq.NewClientFromRedisClient(rdb).EnqueueContext(ctx, task)
	if err != nil && !errors.Is(err, ErrTaskIDConflict) {
		return nil, fmt.Errorf("enqueue %s: %w", task.Type(), err)
	}
	return info, err
}
