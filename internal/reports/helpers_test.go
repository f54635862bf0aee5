package reports_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/reports"
	"github.com/salonworks/jobs/internal/storage"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
	taskemail "github.com/salonworks/jobs/tasks/email"
	taskreport "github.com/salonworks/jobs/tasks/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixture is a migrated schema, a Redis database, local storage served
// over HTTP, and a Generator on them.
type fixture struct {
	t      testing.TB
	pool   *pgxpool.Pool
	redis  *testenv.Redis
	client *asynq.Client
	insp   *asynq.Inspector
	store  *storage.Local
	clock  *clock.Manual
	g      *reports.Generator
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, pool: testenv.NewPostgres(t).Pool, redis: testenv.NewRedis(t),
		clock: clock.NewManual(time.Date(2026, 4, 2, 9, 30, 0, 0, time.UTC))}
	f.client = asynq.NewClientFromRedisClient(f.redis.Client)
	f.insp = asynq.NewInspectorFromRedisClient(f.redis.Client)
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	store, err := storage.NewLocal(t.TempDir(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.Clock = f.clock.Clock()
	mux := http.NewServeMux()
	storage.Routes(store)(mux)
	h = mux
	f.store = store
	f.g = &reports.Generator{DB: f.pool, Storage: store, Enqueue: f.client, Clock: f.clock.Clock()}
	return f
}

// generate runs one attempt of report:generate for report id, as the
// worker does once the payload is decoded.
func generate(ctx context.Context, g *reports.Generator, id int64) error {
	payload := taskreport.GeneratePayload{ReportID: id}
	task, err := taskreport.NewGenerateTask(payload)
	if err != nil {
		return err
	}
	return g.Generate(ctx, task, &payload)
}

func (f *fixture) id(sql string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", strings.Fields(sql)[:3], err)
	}
	return id
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.pool.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%s: %v", strings.Fields(sql)[:3], err)
	}
}

// request inserts a pending report.
func (f *fixture) request(typ string, salon int64, from, to string) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO reports (type, salon_id, period_from, period_to, requested_by_email)
		VALUES ($1, $2, $3, $4, 'owner@brooklyn-nails.example') RETURNING id`, typ, salon, from, to)
}

// reportRow is a reports row as the API reads it.
type reportRow struct {
	Status, StorageKey, URL, Error string
	Progress                       int
	Finished                       bool
}

func (f *fixture) row(id int64) reportRow {
	f.t.Helper()
	var r reportRow
	err := f.pool.QueryRow(context.Background(), `SELECT status, coalesce(storage_key, ''), coalesce(download_url, ''),
		coalesce(error, ''), progress, finished_at IS NOT NULL FROM reports WHERE id = $1`, id).
		Scan(&r.Status, &r.StorageKey, &r.URL, &r.Error, &r.Progress, &r.Finished)
	if err != nil {
		f.t.Fatalf("read report %d: %v", id, err)
	}
	return r
}

// emails returns the pending email:send tasks, by task ID.
func (f *fixture) emails() map[string]taskemail.SendPayload {
	f.t.Helper()
	tasks, err := f.insp.ListPendingTasks(queues.Emails)
	if err != nil && !strings.Contains(err.Error(), "not found") {
		f.t.Fatalf("list emails: %v", err)
	}
	out := map[string]taskemail.SendPayload{}
	for _, task := range tasks {
		if task.Type != taskemail.KindSend {
			f.t.Errorf("task %s of kind %s in the emails queue", task.ID, task.Type)
		}
		var p taskemail.SendPayload
		if err := json.Unmarshal(task.Payload, &p); err != nil {
			f.t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			f.t.Errorf("email %s: %v", task.ID, err)
		}
		out[task.ID] = p
	}
	return out
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}
