package main

import (
	"context"

	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/config"
)

func runScheduler(ctx context.Context, e env, args []string) error {
	fs := flags(e, "scheduler", "scheduler", `Runs the periodic scheduler that replaces the EventBridge rules. Run two
for high availability: they elect a leader through Redis, only the leader
enqueues, and each tick is enqueued exactly once (its task ID is derived
from entry and tick). When the leader dies the other takes over within
about 12 s and enqueues the ticks it missed that are still within their
grace window. Entries: the built-in table, replaced or extended by
SCHEDULE_FILE (see "jobs schedules"). Serves health and metrics on
HTTP_ADDR.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, logger, err := load(e, config.CmdScheduler)
	if err != nil {
		return err
	}
	return app.Scheduler(ctx, cfg, logger)
}
