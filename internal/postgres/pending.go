package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"path"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"
)

// Pending returns how many embedded migrations the pool's database has not
// applied, for /health/startup. It only reads: a database that was never
// migrated (no bookkeeping table yet) has every migration pending, and that
// is an answer, not an error. It does not wait for a running migration.
func Pending(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	versions, err := embeddedVersions()
	if err != nil {
		return 0, err
	}
	var exists bool
	// to_regclass resolves the name through the search_path, as goose does,
	// and answers NULL instead of failing when the table is missing.
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", versionTable).Scan(&exists); err != nil {
		return 0, fmt.Errorf("look for %s: %w", versionTable, err)
	}
	if !exists {
		return len(versions), nil
	}
	// The latest row of a version says whether it is applied; goose
	// deletes rows on the way down, older goose inserted is_applied=false.
	rows, err := pool.Query(ctx, `
		SELECT version_id FROM (
			SELECT DISTINCT ON (version_id) version_id, is_applied
			FROM `+versionTable+`
			ORDER BY version_id, id DESC
		) latest
		WHERE is_applied`)
	if err != nil {
		return 0, fmt.Errorf("read applied migrations: %w", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("read applied migrations: %w", err)
	}
	done := make(map[int64]bool, len(applied))
	for _, v := range applied {
		done[v] = true
	}
	pending := 0
	for _, v := range versions {
		if !done[v] {
			pending++
		}
	}
	return pending, nil
}

// embeddedVersions returns the version of every embedded migration file.
func embeddedVersions() ([]int64, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("embedded migrations: %w", err)
	}
	versions := make([]int64, 0, len(names))
	for _, name := range names {
		v, err := goose.NumericComponent(path.Base(name))
		if err != nil {
			return nil, fmt.Errorf("embedded migration %s: %w", name, err)
		}
		versions = append(versions, v)
	}
	return versions, nil
}
