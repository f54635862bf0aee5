package main

import (
	"context"

	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/config"
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
	cfg, logger, err := load(e, config.CmdDev)
	if err != nil {
		return err
	}
	return app.Dev(ctx, cfg, logger, *seed)
}
