package app

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/httpapi"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/version"
)

// Health returns the probes of a process over d.
func (d *Deps) Health() *httpapi.Health {
	insp := asynq.NewInspectorFromRedisClient(d.Redis)
	h := &httpapi.Health{
		Redis: func(ctx context.Context) error { return d.Redis.Ping(ctx).Err() },
		Pending: func(ctx context.Context) (int, error) {
			total := 0
			for _, q := range d.Queues {
				info, err := metrics.QueueInfo(insp, q.Name)
				if err != nil {
					return 0, err
				}
				total += info.Pending
			}
			return total, nil
		},
		Version:         version.String(),
		Started:         d.Started,
		IngestLag:       d.IngestLag,
		IngestAbandoned: d.IngestAbandoned,
	}
	if d.DB == nil {
		return h
	}
	h.Database = func(ctx context.Context) error { return d.DB.Ping(ctx) }
	h.Startup = func(ctx context.Context) error {
		n, err := postgres.Pending(ctx, d.DB)
		if err != nil {
			return fmt.Errorf("read migration state: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%d migrations not applied: run jobs migrate", n)
		}
		return nil
	}
	return h
}
