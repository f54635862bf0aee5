package tracing_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

func pgxpoolNew(t *testing.T, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	t.Helper()
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err == nil {
		t.Cleanup(pool.Close)
	}
	return pool, err
}
