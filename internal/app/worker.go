package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/httpapi"
	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/queueset"
	"github.com/salonworks/jobs/internal/service"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
)

// Process is the lifecycle of every part Run starts: service.Service,
// under the name this package has always used.
type Process = service.Service

// Worker runs `jobs worker`: the queue servers of WORKER_QUEUES with every
// handler and their background services, the ingest bridge, and with
// METRICS_EMF the backlog metrics written to emfOut (the log's writer),
// until ctx ends.
func Worker(ctx context.Context, cfg *config.Config, logger *slog.Logger, emfOut io.Writer) error {
	d, err := Connect(ctx, cfg, logger, Needs{Postgres: true, Worker: true, Tracing: true})
	if err != nil {
		return err
	}
	defer d.Close()
	parts, _, err := WorkerParts(d)
	if err != nil {
		return err
	}
	if cfg.MetricsEMF {
		p, err := NewEMF(d, emfOut)
		if err != nil {
			return err
		}
		parts = append(parts, p)
	}
	return Run(ctx, d, parts...)
}

// Run serves health and metrics on HTTP_ADDR, starts parts, waits for ctx
// to end (SIGTERM, SIGINT), then stops the parts in reverse order and the
// HTTP server last, so probes answer during the drain.
func Run(ctx context.Context, d *Deps, parts ...service.Service) error {
	mux := httpapi.NewMux(d.Health(), d.Metrics.Registry)
	for _, add := range d.Routes {
		add(mux)
	}
	srv, err := httpapi.Listen(d.Config.HTTPAddr, mux, d.Logger)
	if err != nil {
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve() }()

	started := 0
	var runErr error
	for _, p := range parts {
		if runErr = p.Start(); runErr != nil {
			break
		}
		started++
	}
	if runErr == nil {
		select {
		case <-ctx.Done():
			d.Logger.Info("shutdown signal received")
		case runErr = <-serveErr:
		}
	}
	for i := started - 1; i >= 0; i-- {
		parts[i].Shutdown()
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// NewWorker builds the queue servers of d.Queues with every handler.
func NewWorker(d *Deps, sms *SMS, mail *Email, files *Files) (*worker.Worker, error) {
	return worker.New(worker.Config{
		Redis:           d.Redis,
		Queues:          d.Queues,
		Handlers:        Handlers(d, sms, mail, files),
		ShutdownTimeout: d.Config.ShutdownTimeout,
		Logger:          d.Logger,
		Metrics:         d.Metrics,
		TracerProvider:  d.Tracing,
	})
}

// WorkerParts returns what `jobs worker` runs: the queue servers, the SMS
// reconciler when the sms queue is served, and the email sweeper when the
// emails queue is.
func WorkerParts(d *Deps) ([]service.Service, *SMS, error) {
	sms, err := NewSMS(d)
	if err != nil {
		return nil, nil, err
	}
	mail, err := NewEmail(d)
	if err != nil {
		return nil, nil, err
	}
	files, err := NewFiles(d)
	if err != nil {
		return nil, nil, err
	}
	// Signed links of STORAGE=local (jobs dev serves them here).
	d.Routes = append(d.Routes, files.Routes)
	// asynq lists a queue only once a task went through it; register all
	// of them (the five and the internal sms_bulk) so the dashboard shows
	// every queue from the first start.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err = queueset.Register(ctx, d.Redis)
	cancel()
	if err != nil {
		return nil, nil, fmt.Errorf("register queues: %w", err)
	}
	w, err := NewWorker(d, sms, mail, files)
	if err != nil {
		return nil, nil, err
	}
	parts := []service.Service{w}
	for _, q := range d.Queues {
		switch q.Name {
		case queues.SMS:
			parts = append(parts, sms.Reconciler, sms.Feeder.Service())
		case queues.Emails:
			parts = append(parts, mail.Sweeper)
		}
	}
	if d.Config.IngestEnabled {
		bridge, err := ingest.New(ingest.Config{
			Redis:    d.Redis,
			Group:    d.Config.RedisStreamConsumerGroup,
			Logger:   d.Logger.With("component", "ingest"),
			Registry: d.Metrics.Registry,
			// One span per entry enqueued, in the producer's trace.
			TracerProvider: d.Tracing,
		})
		if err != nil {
			return nil, nil, err
		}
		// Started last and stopped first: no entry is taken while the
		// queue servers stop.
		parts = append(parts, bridge)
		d.IngestLag = bridge.Lag
		d.IngestAbandoned = bridge.Abandoned
	}
	return parts, sms, nil
}
