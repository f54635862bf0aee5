package worker_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/salonworks/jobs/internal/metrics"
)

func counterValue(t *testing.T, m *metrics.Metrics, kind, queue, outcome string) float64 {
	t.Helper()
	return testutil.ToFloat64(m.TasksTotal.WithLabelValues(kind, queue, outcome))
}
