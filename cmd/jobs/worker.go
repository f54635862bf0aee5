package main

import (
	"context"

	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/config"
)

func runWorker(ctx context.Context, e env, args []string) error {
	fs := flags(e, "worker", "worker", `Runs each queue's fetch loops (asynq servers sharing the queue's
concurrency exactly; see queues.Queue.Loops), and serves
/health/live, /health/ready, /health/startup and /metrics on HTTP_ADDR.
WORKER_QUEUES=sms,emails runs only those queues. SIGTERM or SIGINT stops
fetching, lets in-flight tasks finish within SHUTDOWN_TIMEOUT and returns
the rest to their queue.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, logger, err := load(e, config.CmdWorker)
	if err != nil {
		return err
	}
	return app.Worker(ctx, cfg, logger, e.stderr)
}
