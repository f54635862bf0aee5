package app

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/tasks"
)

// workerTable builds the worker's table the way `jobs worker` does, over
// Deps that open no connection: nothing here talks to Redis or Postgres
// until a task runs.
func workerTable(t *testing.T) *worker.Handlers {
	t.Helper()
	env := map[string]string{"APP_ENV": "test", "LOCAL_STORAGE_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	d := &Deps{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(),
		Redis: redis.NewClient(cfg.RedisOptions())}
	t.Cleanup(d.Close)
	sms, err := NewSMS(d)
	if err != nil {
		t.Fatal(err)
	}
	mail, err := NewEmail(d)
	if err != nil {
		t.Fatal(err)
	}
	files, err := NewFiles(d)
	if err != nil {
		t.Fatal(err)
	}
	return Handlers(d, sms, mail, files)
}

// Every kind a producer may enqueue has a handler in the worker: a kind
// dropped from Handlers would otherwise be archived unprocessed.
func TestEveryKindOfTheCatalogueHasAHandler(t *testing.T) {
	t.Parallel()
	h := workerTable(t)
	for _, k := range tasks.Kinds() {
		if x, ok := h.Lookup(k.Name); !ok || x == nil {
			t.Errorf("kind %q has no handler in the worker", k.Name)
		}
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(tasks.Names())), h.Kinds()); diff != "" {
		t.Errorf("kinds the worker handles (-catalogue +worker):\n%s", diff)
	}
}
