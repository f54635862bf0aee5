package main

import (
	"context"
	"fmt"
	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/admin"
	"github.com/salonworks/jobs/tasks"
	tasksms "github.com/salonworks/jobs/tasks/sms"
	"time"

	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/scheduler"
)

func runDev(ctx context.Context, e env, args []string) error {
	fs := flags(e, "dev", "dev [--seed]", `Runs everything in one process for a developer machine: migrates the
database, optionally loads the demo salon, then runs the worker and the
scheduler with the
local providers (SMS and email to the log, files in LOCAL_STORAGE_DIR) and
serves health, metrics, the dashboard (/admin/queues, users from
ADMIN_USERS) and the Twilio webhooks on HTTP_ADDR. APP_ENV defaults to development,
where Postgres and Redis default to 127.0.0.1.`)
	seed := fs.Bool("seed", false, "load the demo salon before starting (idempotent)")
	if err := parse(fs, args); err != nil {
		return err
	}
	e.lookup = withDefault(e.lookup, "APP_ENV", "development")
	e.lookup = withDefault(e.lookup, "LOG_FORMAT", "text")
	cfg, logger, err := load(e)
	if err != nil {
		return err
	}
	if _, err := postgres.Migrate(ctx, cfg.DatabaseURL(), logger); err != nil {
		return err
	}
	d, err := app.Connect(ctx, cfg, logger, app.Needs{Postgres: true})
	if err != nil {
		return err
	}
	defer d.Close()
	if *seed {
		rep, err := postgres.Seed(ctx, d.DB, time.Now())
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		logger.Info("demo salon loaded", "report", rep.String())
		// Give the dispatchers a first run now rather than at their next
		// tick, so the demo's texts show up at once.
		client := asynq.NewClientFromRedisClient(d.Redis)
		for _, kind := range []string{tasksms.KindDispatchConfirmations, tasksms.KindDispatchReviews, tasksms.KindDispatchCampaigns} {
			task, err := tasks.NewTask(kind, nil)
			if err == nil {
				_, err = client.EnqueueContext(ctx, task)
			}
			if err != nil {
				return fmt.Errorf("enqueue %s: %w", kind, err)
			}
		}
	}
	parts, sms, err := app.WorkerParts(d)
	if err != nil {
		return err
	}
	d.Routes = append(d.Routes, sms.Webhooks.Routes)
	dash, err := admin.New(admin.Config{Redis: cfg.AsynqRedis(), Users: cfg.Admins(), PrometheusURL: cfg.PrometheusURL, Logger: logger, DB: d.DB})
	if err != nil {
		return err
	}
	defer dash.Close()
	if err := admin.RegisterChartMetrics(d.Metrics.Registry, asynq.NewInspectorFromRedisClient(d.Redis), logger); err != nil {
		return err
	}
	d.Routes = append(d.Routes, dash.Register)
	if len(cfg.Admins()) == 0 {
		logger.Warn("ADMIN_USERS is empty: nobody can sign in to the dashboard; create a user with `jobs admin hash-password`")
	}
	entries, err := scheduler.Load(cfg.ScheduleFile)
	if err != nil {
		return err
	}
	s, err := app.NewScheduler(d, entries)
	if err != nil {
		return err
	}
	logger.Info("jobs dev running", "http", cfg.HTTPAddr, "health", "http://127.0.0.1"+portOf(cfg.HTTPAddr)+"/health/ready")
	return app.Run(ctx, d, append(parts, s)...)
}
