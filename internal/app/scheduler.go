package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/scheduler"
)

// Scheduler runs `jobs scheduler`: the leader-elected scheduler over the
// built-in entries and SCHEDULE_FILE, with health and metrics, until ctx
// ends. It talks to Redis only.
func Scheduler(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	// The file first: a bad schedule stops the process before it connects.
	entries, err := scheduler.Load(cfg.ScheduleFile)
	if err != nil {
		return err
	}
	d, err := Connect(ctx, cfg, logger, Needs{Tracing: true})
	if err != nil {
		return err
	}
	defer d.Close()
	s, err := NewScheduler(d, entries)
	if err != nil {
		return err
	}
	return Run(ctx, d, s)
}

// NewScheduler builds the leader-elected scheduler over entries.
func NewScheduler(d *Deps, entries []scheduler.Entry) (*scheduler.Runner, error) {
	return scheduler.New(scheduler.Config{
		Entries:  entries,
		Redis:    d.Redis,
		Logger:   d.Logger,
		Registry: d.Metrics.Registry,
		// A root span per tick, carried by the tick's task.
		TracerProvider: d.Tracing,
	})
}

// SchedulerLeader returns the ID of the scheduler process that leads, ""
// when none does, asking Redis for at most two seconds.
func SchedulerLeader(ctx context.Context, cfg *config.Config) (string, error) {
	rdb := redis.NewClient(cfg.RedisOptions())
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	id, err := rdb.Get(ctx, scheduler.LeaderKey).Result()
	switch {
	case err == redis.Nil:
		return "", nil
	case err != nil:
		return "", err
	}
	return id, nil
}
