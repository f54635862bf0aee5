package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/scheduler"
	"github.com/salonworks/jobs/tasks"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// Dev runs `jobs dev`: it migrates, loads the demo salon when seed is
// set, then runs the worker, the scheduler, the dashboard, the Twilio
// webhooks and the SES events webhook in one process until ctx ends.
func Dev(ctx context.Context, cfg *config.Config, logger *slog.Logger, seed bool) error {
	if _, err := postgres.Migrate(ctx, cfg.DatabaseURL(), logger); err != nil {
		return err
	}
	d, err := Connect(ctx, cfg, logger, Needs{Postgres: true, Worker: true, Tracing: true})
	if err != nil {
		return err
	}
	defer d.Close()
	if seed {
		if err := seedDemo(ctx, d); err != nil {
			return err
		}
	}
	parts, sms, err := WorkerParts(d)
	if err != nil {
		return err
	}
	d.Routes = append(d.Routes, sms.Webhooks.Routes)
	ses, err := sesEvents(d)
	if err != nil {
		return err
	}
	d.Routes = append(d.Routes, ses)
	dash, err := newDashboard(d)
	if err != nil {
		return err
	}
	defer dash.Close()
	d.Routes = append(d.Routes, dash.Register)
	if len(cfg.Admins()) == 0 {
		logger.Warn("ADMIN_USERS is empty: nobody can sign in to the dashboard; create a user with `jobs admin hash-password`")
	}
	entries, err := scheduler.Load(cfg.ScheduleFile)
	if err != nil {
		return err
	}
	s, err := NewScheduler(d, entries)
	if err != nil {
		return err
	}
	logger.Info("jobs dev running", "http", cfg.HTTPAddr, "health", publicOrigin("", cfg.HTTPAddr)+"/health/ready")
	return Run(ctx, d, append(parts, s)...)
}

// seedDemo loads the demo salon and gives the SMS dispatchers a first run
// now rather than at their next tick, so the demo's texts show up at once.
func seedDemo(ctx context.Context, d *Deps) error {
	rep, err := postgres.Seed(ctx, d.DB, time.Now())
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	d.Logger.Info("demo salon loaded", "report", rep.String())
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
	return nil
}
