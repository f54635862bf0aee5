package main

import (
	"context"

	"github.com/salonworks/jobs/internal/app"
)

func runWorker(ctx context.Context, e env, args []string) error {
	fs := flags(e, "worker", "worker", `Runs one asynq server per queue (concurrency exact per queue), and serves
/health/live, /health/ready, /health/startup and /metrics on HTTP_ADDR.
WORKER_QUEUES=sms,emails runs only those queues. SIGTERM or SIGINT stops
fetching, lets in-flight tasks finish within SHUTDOWN_TIMEOUT and returns
the rest to their queue.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, logger, err := load(e)
	if err != nil {
		return err
	}
	d, err := app.Connect(ctx, cfg, logger, app.Needs{Postgres: true})
	if err != nil {
		return err
	}
	defer d.Close()
	parts, _, err := app.WorkerParts(d)
	if err != nil {
		return err
	}
	if cfg.MetricsEMF {
		p, err := app.NewEMF(d, e.stderr)
		if err != nil {
			return err
		}
		parts = append(parts, p)
	}
	return app.Run(ctx, d, parts...)
}
