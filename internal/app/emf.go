package app

import (
	"io"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/emf"
	"github.com/salonworks/jobs/queues"
)

// NewEMF returns the part that writes every queue's backlog to w (the
// log's writer) as CloudWatch embedded-metric-format lines once a minute,
// for the ECS worker service's autoscaling (METRICS_EMF=true).
func NewEMF(d *Deps, w io.Writer) (*emf.Publisher, error) {
	return emf.New(emf.Config{
		Inspector:   asynq.NewInspectorFromRedisClient(d.Redis),
		Queues:      queues.Names(),
		Environment: d.Config.AppEnv,
		Writer:      w,
		Logger:      d.Logger,
	})
}
