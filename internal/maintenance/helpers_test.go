package maintenance_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/maintenance"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/tasks/salon"
	synctasks "github.com/salonworks/jobs/tasks/sync"
)

// served returns what the worker runs for kind with m's handlers
// registered, payload decoding included.
func served(m *maintenance.Maintenance, kind string) asynq.Handler {
	h := worker.NewHandlers()
	worker.Handle(h, salon.KindResetQueue, m.ResetQueue)
	worker.Handle(h, synctasks.KindDailyStats, m.DailyStats)
	x, _ := h.Lookup(kind)
	return x
}

// db wraps a test's pool with insert helpers that fail the test on error.
type db struct {
	t    *testing.T
	pool *pgxpool.Pool
}

// newDB gives the test a migrated schema of its own.
func newDB(t *testing.T) db {
	t.Helper()
	d := db{t: t, pool: testenv.NewPostgres(t).Pool}
	d.exec("CREATE SEQUENCE test_phones")
	return d
}

func (d db) id(sql string, args ...any) int64 {
	d.t.Helper()
	var id int64
	if err := d.pool.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		d.t.Fatalf("%s: %v", strings.Fields(sql)[:3], err)
	}
	return id
}

func (d db) exec(sql string, args ...any) {
	d.t.Helper()
	if _, err := d.pool.Exec(context.Background(), sql, args...); err != nil {
		d.t.Fatalf("%s: %v", sql, err)
	}
}

func (d db) salon(name, tz string) int64 {
	d.t.Helper()
	return d.id("INSERT INTO salons (name, timezone) VALUES ($1, $2) RETURNING id", name, tz)
}

func (d db) technician(salonID int64, name string) int64 {
	d.t.Helper()
	return d.id("INSERT INTO technicians (salon_id, name) VALUES ($1, $2) RETURNING id", salonID, name)
}

// customer inserts a customer with a phone number unique in the schema.
func (d db) customer(salonID int64, name string) int64 {
	d.t.Helper()
	return d.id(`INSERT INTO customers (salon_id, first_name, phone)
		VALUES ($1, $2, '+1555' || lpad(nextval('test_phones')::text, 7, '0')) RETURNING id`, salonID, name)
}

// appointment inserts an hour-long appointment; technicianID 0 means none.
func (d db) appointment(salonID, customerID, technicianID int64, startsAt string, status string) int64 {
	d.t.Helper()
	starts, err := time.Parse(time.RFC3339, startsAt)
	if err != nil {
		d.t.Fatal(err)
	}
	var tech, completed any
	if technicianID != 0 {
		tech = technicianID
	}
	if status == "completed" {
		completed = starts.Add(time.Hour)
	}
	return d.id(`INSERT INTO appointments (salon_id, customer_id, technician_id, starts_at, ends_at, status, completed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		salonID, customerID, tech, starts, starts.Add(time.Hour), status, completed)
}

// queueEntry puts a technician in the rotation; position 0 means out of
// line, a zero checkedIn means not checked in.
func (d db) queueEntry(salonID, technicianID int64, position, turns int, checkedIn time.Time) {
	d.t.Helper()
	var pos, at any
	if position != 0 {
		pos = position
	}
	if !checkedIn.IsZero() {
		at = checkedIn
	}
	d.exec(`INSERT INTO technician_queue (salon_id, technician_id, position, turns_taken, checked_in_at)
		VALUES ($1, $2, $3, $4, $5)`, salonID, technicianID, pos, turns, at)
}

// logBuffer collects a logger's JSON lines; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// count returns how many lines hold every one of parts.
func (b *logBuffer) count(parts ...string) int {
	n := 0
	for line := range strings.Lines(b.String()) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, nil)), b
}
