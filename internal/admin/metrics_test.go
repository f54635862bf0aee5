package admin

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/salonworks/jobs/internal/admin/admintest"
	"github.com/salonworks/jobs/internal/testenv"
)

func TestChartMetricsUseAsynqmonsNames(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	admintest.Seed(t, r.ConnOpt(), admintest.Small)
	insp := asynq.NewInspector(r.ConnOpt())
	defer insp.Close()
	if err := insp.PauseQueue("sync"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := RegisterChartMetrics(reg, insp, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))); err != nil {
		t.Fatal(err)
	}
	// The series asynqmon's PromQL names (metrics_handler.go).
	want := `
# HELP asynq_queue_paused_total 1 when the queue is paused.
# TYPE asynq_queue_paused_total gauge
asynq_queue_paused_total{queue="emails"} 0
asynq_queue_paused_total{queue="reports"} 0
asynq_queue_paused_total{queue="sms"} 0
asynq_queue_paused_total{queue="sync"} 1
asynq_queue_paused_total{queue="uploads"} 0
# HELP asynq_queue_size Number of tasks in the queue.
# TYPE asynq_queue_size gauge
asynq_queue_size{queue="emails"} 6
asynq_queue_size{queue="reports"} 2
asynq_queue_size{queue="sms"} 6
asynq_queue_size{queue="sync"} 3
asynq_queue_size{queue="uploads"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "asynq_queue_size", "asynq_queue_paused_total"); err != nil {
		t.Error(err)
	}
	n, err := testutil.GatherAndCount(reg, "asynq_tasks_enqueued_total", "asynq_queue_latency_seconds",
		"asynq_queue_memory_usage_approx_bytes", "asynq_tasks_processed_total", "asynq_tasks_failed_total")
	if err != nil {
		t.Fatal(err)
	}
	if want := 5*7 + 5*4; n != want {
		t.Errorf("%d other chart series, want %d", n, want)
	}
}

// The charts read from PROMETHEUS_URL through asynqmon's /api/metrics, and
// a queues filter cannot smuggle PromQL in.
func TestChartsQueryPrometheus(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var queries []string
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Path+" "+r.URL.Query().Get("query"))
		mu.Unlock()
		w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`))
	}))
	defer prom.Close()
	r := testenv.NewRedis(t)
	dash, err := New(Config{Redis: r.ConnOpt(), Users: testUsers(t), PrometheusURL: prom.URL,
		Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer dash.Close()
	get := func(query string) int {
		rq := httptest.NewRequest("GET", RootPath+"/api/metrics?"+query, nil)
		rq.SetBasicAuth(viewerName, viewerPass)
		w := httptest.NewRecorder()
		dash.ServeHTTP(w, rq)
		return w.Code
	}
	if code := get("duration=3600&queues=sms,emails"); code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	mu.Lock()
	got := strings.Join(queries, "\n")
	mu.Unlock()
	if len(queries) != 9 || !strings.Contains(got, `/api/v1/query_range asynq_queue_size{queue=~"sms|emails"}`) {
		t.Errorf("Prometheus was asked:\n%s", got)
	}
	if code := get(`queues=sms"}or+vector(1)or{x="`); code != http.StatusBadRequest {
		t.Errorf("PromQL in queues: status %d, want 400", code)
	}
	if len(queries) != 9 {
		t.Errorf("the smuggled query reached Prometheus")
	}
}
