package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/postgres"
)

// PostgresURL is the test database: TEST_DATABASE_URL, or the local default.
// NewPostgres creates the database when it does not exist.
func PostgresURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/jobs_test?sslmode=disable"
}

// Postgres is one test's schema on the test database.
type Postgres struct {
	// URL connects to the test database with search_path set to Schema, so
	// every connection opened from it (pgx, database/sql, a subprocess's
	// DATABASE_URL) sees only this test's tables.
	URL string
	// Schema is the schema's name.
	Schema string
	// Pool is a pool on URL, closed when the test ends.
	Pool *pgxpool.Pool
}

// NewPostgres creates a schema of its own for the test on the test
// database, migrates it with postgres.Migrate, and drops it when the test
// ends. It fails the test when Postgres is down.
func NewPostgres(t testing.TB) *Postgres {
	t.Helper()
	pg := NewEmptyPostgres(t)
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	if _, err := postgres.Migrate(context.Background(), pg.URL, logger); err != nil {
		t.Fatalf("testenv: migrate schema %s: %v", pg.Schema, err)
	}
	return pg
}

// NewEmptyPostgres is NewPostgres without the migrations, for tests of the
// migrations themselves.
func NewEmptyPostgres(t testing.TB) *Postgres {
	t.Helper()
	ctx := context.Background()
	base := PostgresURL()
	if err := ensureDatabase(ctx, base); err != nil {
		t.Fatalf("testenv: postgres test database (start postgres, or run make test): %v", err)
	}
	schema := schemaName(t.Name())
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("testenv: connect to postgres: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("testenv: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() { dropSchema(t, base, schema) })

	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	pool, err := postgres.Connect(ctx, u)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	// Registered after dropSchema, so it runs before it.
	t.Cleanup(pool.Close)
	return &Postgres{URL: u, Schema: schema, Pool: pool}
}

func dropSchema(t testing.TB, base, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("testenv: drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		t.Errorf("testenv: drop schema %s: %v", schema, err)
	}
}

// schemaName makes a unique, legal, recognizable schema name from a test
// name: "t_" + the name's letters and digits + a random suffix, within
// Postgres's 63-byte identifier limit.
func schemaName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 40 {
		name = name[:40]
	}
	suffix := make([]byte, 6)
	rand.Read(suffix)
	return "t_" + name + "_" + hex.EncodeToString(suffix)
}

// withSearchPath returns raw with search_path set to schema; pgx sends an
// unknown URL parameter to the server as a run-time setting.
func withSearchPath(raw, schema string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("TEST_DATABASE_URL must be a postgres:// URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// ensured remembers the databases this process has checked.
var ensured sync.Map

// ensureDatabase creates the database raw names when it does not exist.
// Concurrent test processes may race to create it; the loser's
// "already exists" is success.
func ensureDatabase(ctx context.Context, raw string) error {
	if _, ok := ensured.Load(raw); ok {
		return nil
	}
	conn, err := pgx.Connect(ctx, raw)
	if err == nil {
		conn.Close(ctx)
		ensured.Store(raw, true)
		return nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return err
	}
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return err
	}
	name := cfg.Database
	cfg.Database = "postgres"
	maint, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	defer maint.Close(ctx)
	_, err = maint.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	// 42P04 duplicate_database; 23505 when two CREATE DATABASE collide on
	// pg_database's unique index before either commits.
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	ensured.Store(raw, true)
	return nil
}
