package postgres_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/testenv"
)

// migrationFiles lists the migration files in the source tree, which the
// binary embeds: what Status must report, read independently of it.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no migration files (%v)", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

// wantTables is every table the migrations create, goose's included.
var wantTables = []string{
	"appointments", "campaigns", "customers", "daily_stats", "email_messages",
	"email_notifications", "email_suppressions", "email_transient_bounces", "goose_db_version", "queue_reset_snapshots", "reports",
	"salons", "sms_messages", "sms_opt_events", "technician_queue", "technicians", "uploads",
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		// statusFirst creates goose's bookkeeping table before the race,
		// so both calls reach the migrations at once instead of being
		// spaced out by goose's retry of a colliding CREATE TABLE.
		statusFirst bool
	}{
		{name: "fresh schema"},
		{name: "bookkeeping table present", statusFirst: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pg := testenv.NewEmptyPostgres(t)
			if tt.statusFirst {
				if _, err := postgres.Status(t.Context(), pg.URL); err != nil {
					t.Fatal(err)
				}
			}
			migrateConcurrently(t, pg)
		})
	}
}

func migrateConcurrently(t *testing.T, pg *testenv.Postgres) {
	t.Helper()
	files := migrationFiles(t)
	var wg sync.WaitGroup
	results := make([][]postgres.Applied, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = postgres.Migrate(t.Context(), pg.URL, nil) })
	}
	wg.Wait()
	var applied []string
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("Migrate call %d: %v", i, errs[i])
		}
		for _, a := range results[i] {
			applied = append(applied, a.Name)
		}
	}
	if diff := cmp.Diff(files, applied); diff != "" {
		t.Errorf("migrations applied by both calls together (-want +got):\n%s", diff)
	}

	rows, _ := pg.Pool.Query(t.Context(),
		"SELECT count(*) FROM goose_db_version WHERE version_id > 0 GROUP BY version_id HAVING count(*) > 1")
	if dups, err := pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil || len(dups) > 0 {
		t.Errorf("versions recorded more than once: %v (err %v)", dups, err)
	}
	rows, _ = pg.Pool.Query(t.Context(),
		"SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1", pg.Schema)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantTables, tables); diff != "" {
		t.Errorf("tables in the test's schema (-want +got):\n%s", diff)
	}
}

func TestMigrateLogsEachVersion(t *testing.T) {
	t.Parallel()
	pg := testenv.NewEmptyPostgres(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	if _, err := postgres.Migrate(t.Context(), pg.URL, logger); err != nil {
		t.Fatal(err)
	}
	var logged []string
	for line := range strings.Lines(buf.String()) {
		if strings.Contains(line, `msg="migration applied"`) {
			_, name, _ := strings.Cut(line, " name=")
			name, _, _ = strings.Cut(name, " ")
			logged = append(logged, name)
		}
	}
	if diff := cmp.Diff(migrationFiles(t), logged); diff != "" {
		t.Errorf("migrations logged as applied (-want +got):\n%s\nlog:\n%s", diff, buf.String())
	}
	buf.Reset()
	applied, err := postgres.Migrate(t.Context(), pg.URL, logger)
	if err != nil || len(applied) != 0 {
		t.Errorf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
	if !strings.Contains(buf.String(), "up to date") {
		t.Errorf("second Migrate log = %q, want it to say the schema is up to date", buf.String())
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	pg := testenv.NewEmptyPostgres(t)
	files := migrationFiles(t)
	for _, step := range []struct {
		name    string
		migrate bool
		applied bool
	}{
		{name: "fresh schema", migrate: false, applied: false},
		{name: "migrated", migrate: true, applied: true},
	} {
		if step.migrate {
			if _, err := postgres.Migrate(t.Context(), pg.URL, nil); err != nil {
				t.Fatal(err)
			}
		}
		status, err := postgres.Status(t.Context(), pg.URL)
		if err != nil {
			t.Fatalf("%s: Status: %v", step.name, err)
		}
		var names []string
		for _, s := range status {
			names = append(names, s.Name)
			if s.Applied != step.applied || s.AppliedAt.IsZero() == step.applied || s.Version < 1 {
				t.Errorf("%s: %+v, want applied=%v with a time when applied", step.name, s, step.applied)
			}
		}
		if diff := cmp.Diff(files, names); diff != "" {
			t.Errorf("%s: Status lists (-want +got):\n%s", step.name, diff)
		}
	}
}

func TestPending(t *testing.T) {
	t.Parallel()
	pg := testenv.NewEmptyPostgres(t)
	all := len(migrationFiles(t))
	for _, step := range []struct {
		name string
		do   func() error
		want int
	}{
		{name: "no goose table", do: func() error { return nil }, want: all},
		{name: "empty goose table", do: func() error { _, err := postgres.Status(t.Context(), pg.URL); return err }, want: all},
		{name: "migrated", do: func() error { _, err := postgres.Migrate(t.Context(), pg.URL, nil); return err }, want: 0},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got, err := postgres.Pending(t.Context(), pg.Pool)
		if err != nil || got != step.want {
			t.Errorf("%s: Pending = %d, %v; want %d", step.name, got, err, step.want)
		}
	}
}

func TestMigrateRefusesMissingSchema(t *testing.T) {
	t.Parallel()
	pg := testenv.NewEmptyPostgres(t)
	url := strings.Replace(pg.URL, "search_path="+pg.Schema, "search_path=no_such_schema_for_jobs", 1)
	if _, err := postgres.Migrate(t.Context(), url, nil); err == nil || !strings.Contains(err.Error(), "no schema") {
		t.Errorf("Migrate = %v, want an error naming the missing schema", err)
	}
}
