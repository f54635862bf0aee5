package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"path"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is goose's bookkeeping table, created next to the schema it
// describes (the first schema of the search_path).
const versionTable = goose.DefaultTablename

// Applied is one migration that Migrate applied.
type Applied struct {
	// Version is the number the file name starts with.
	Version int64
	// Name is the file name, e.g. 00001_init.sql.
	Name string
	// Duration is how long the migration took.
	Duration time.Duration
}

// MigrationStatus is the state of one embedded migration in a database.
type MigrationStatus struct {
	// Version is the number the file name starts with.
	Version int64
	// Name is the file name, e.g. 00001_init.sql.
	Name string
	// Applied reports whether the database has the migration.
	Applied bool
	// AppliedAt is when it was applied, as goose recorded it (a timestamp
	// without time zone, in the applying session's zone); zero when pending.
	AppliedAt time.Time
}

// Migrate applies every embedded migration the database at url lacks, in
// version order, each in its own transaction, and logs each one it applies.
// It holds a Postgres advisory lock while it works, so concurrent calls (a
// migrate task racing a second rollout, parallel tests) apply each migration
// once: the later call waits, then finds nothing left to do. The lock is
// per database and schema, so migrating one schema never waits for another.
// A nil logger discards.
func Migrate(ctx context.Context, url string, logger *slog.Logger) ([]Applied, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p, closeDB, err := newProvider(ctx, url)
	if err != nil {
		return nil, err
	}
	defer closeDB()

	results, err := p.Up(ctx)
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		applied := logApplied(ctx, logger, partial.Applied)
		return applied, fmt.Errorf("apply migration %s: %w", path.Base(partial.Failed.Source.Path), partial.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := logApplied(ctx, logger, results)
	if len(applied) == 0 {
		logger.InfoContext(ctx, "database schema up to date")
	}
	return applied, nil
}

func logApplied(ctx context.Context, logger *slog.Logger, results []*goose.MigrationResult) []Applied {
	applied := make([]Applied, 0, len(results))
	for _, r := range results {
		a := Applied{Version: r.Source.Version, Name: path.Base(r.Source.Path), Duration: r.Duration}
		logger.InfoContext(ctx, "migration applied",
			slog.Int64("version", a.Version), slog.String("name", a.Name), slog.Duration("duration", a.Duration))
		applied = append(applied, a)
	}
	return applied
}

// Status lists every embedded migration, in version order, with whether the
// database at url has applied it. It waits while a migration runs. Like
// goose, it creates the empty bookkeeping table when it is missing.
func Status(ctx context.Context, url string) ([]MigrationStatus, error) {
	p, closeDB, err := newProvider(ctx, url)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	states, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(states))
	for _, s := range states {
		out = append(out, MigrationStatus{
			Version:   s.Source.Version,
			Name:      path.Base(s.Source.Path),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// newProvider opens a database/sql handle on url through pgx and returns a
// goose provider over the embedded migrations, locked per database and
// schema, and the function that closes the handle.
func newProvider(ctx context.Context, url string) (*goose.Provider, func(), error) {
	cfg, err := parseConfig(url)
	if err != nil {
		return nil, nil, err
	}
	db := stdlib.OpenDB(*cfg)
	closeDB := func() { db.Close() }

	var database string
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_database(), current_schema()").Scan(&database, &schema); err != nil {
		closeDB()
		return nil, nil, redact(fmt.Errorf("connect to postgres: %w", err), url)
	}
	if !schema.Valid {
		closeDB()
		return nil, nil, fmt.Errorf("migrate database %s: no schema of the search_path exists", database)
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lockID(database, schema.String)),
		// Poll every second for up to five minutes: the default polls every
		// five seconds, which makes the loser of a race wait for nothing.
		lock.WithLockTimeout(1, 300),
	)
	if err != nil {
		closeDB()
		return nil, nil, fmt.Errorf("migration lock: %w", err)
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		closeDB()
		return nil, nil, fmt.Errorf("embedded migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithTableName(versionTable),
		// Only the embedded SQL files: no Go migrations registered elsewhere.
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		closeDB()
		return nil, nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, closeDB, nil
}

// lockID derives the advisory lock key from the database and schema being
// migrated. Advisory locks are database-wide, and the migrations touch only
// their schema, so schemas need not wait for each other.
func lockID(database, schema string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "salonworks/jobs migrate\x00%s\x00%s", database, schema)
	return int64(h.Sum64())
}
