package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/tracing"
	"github.com/salonworks/jobs/internal/tracing/tracingtest"
)

func TestSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		s       tracing.Settings
		enabled bool
		invalid bool
	}{
		{name: "nothing set is off", s: tracing.Settings{}},
		{name: "an endpoint turns it on", s: tracing.Settings{Endpoint: "http://localhost:4318"}, enabled: true},
		{name: "a traces endpoint turns it on", s: tracing.Settings{TracesEndpoint: "http://c:4318/v1/traces"}, enabled: true},
		{name: "otlp without endpoint is on (localhost)", s: tracing.Settings{Exporter: "otlp"}, enabled: true},
		{name: "none wins over an endpoint", s: tracing.Settings{Exporter: "none", Endpoint: "http://c:4318"}},
		{name: "disabled wins over everything", s: tracing.Settings{SDKDisabled: true, Exporter: "otlp", Endpoint: "http://c:4318"}},
		{name: "unknown exporter", s: tracing.Settings{Exporter: "zipkin"}, enabled: true, invalid: true},
		{name: "grpc is not built in", s: tracing.Settings{Endpoint: "http://c:4317", Protocol: "grpc"}, enabled: true, invalid: true},
		{name: "ratio sampler", s: tracing.Settings{Sampler: "parentbased_traceidratio", SamplerArg: "0.1"}},
		{name: "bad ratio", s: tracing.Settings{Sampler: "traceidratio", SamplerArg: "2"}, invalid: true},
		{name: "unknown sampler", s: tracing.Settings{Sampler: "sometimes"}, invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.s.Enabled(); got != tt.enabled {
				t.Errorf("Enabled() = %v, want %v", got, tt.enabled)
			}
			if err := tt.s.Validate(); (err != nil) != tt.invalid {
				t.Errorf("Validate() = %v, want error %v", err, tt.invalid)
			}
		})
	}
}

// Off is the no-op provider: the instrumentation hands back what it wraps.
func TestSetupWithoutExporterIsOff(t *testing.T) {
	t.Parallel()
	p, err := tracing.Setup(context.Background(), tracing.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if !tracing.IsOff(p) {
		t.Error("IsOff = false for a provider with no exporter")
	}
	if tr := tracing.Transport(http.DefaultTransport, p, "x", nil); tr != http.DefaultTransport {
		t.Errorf("Transport with tracing off = %T, want the transport itself", tr)
	}
}

// Setup's exporter posts OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_ENDPOINT's
// /v1/traces with the service name; an HTTP call under a span is its
// child and its attributes hold no query string.
func TestSetupExportsOverOTLPHTTP(t *testing.T) {
	t.Parallel()
	recv := tracingtest.NewReceiver(t)
	p, err := tracing.Setup(context.Background(), tracing.Settings{Endpoint: recv.URL(), ServiceName: "jobs-worker"})
	if err != nil {
		t.Fatal(err)
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	t.Cleanup(upstream.Close)
	client := &http.Client{Transport: tracing.Transport(nil, p, "api", func(*http.Request) string { return "GET /things" })}

	ctx, span := tracing.Tracer(p).Start(context.Background(), "work")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, upstream.URL+"/things?to=%2B15551234567", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	span.End()
	// Untraced: no span.
	resp, err = client.Get(upstream.URL + "/things")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	spans := recv.Spans()
	if len(spans) != 2 {
		t.Fatalf("received %d spans, want 2 (work, its call): %+v", len(spans), spans)
	}
	work, call := tracingtest.Find(spans, "work"), tracingtest.Find(spans, "api GET /things")
	if len(work) != 1 || len(call) != 1 {
		t.Fatalf("spans %+v, want work and api GET /things", spans)
	}
	if call[0].ParentSpanID != work[0].SpanID || call[0].Service != "jobs-worker" {
		t.Errorf("call under %s with service %q, want under %s with jobs-worker", call[0].ParentSpanID, call[0].Service, work[0].SpanID)
	}
	if got := call[0].Attrs["http.response.status_code"]; got != "418" {
		t.Errorf("status = %q, want 418", got)
	}
	tracingtest.CheckNoPersonalData(t, spans, []string{"+15551234567"})
}

// A statement under a span is its child, with its placeholders and not its
// arguments; a statement outside any trace makes no span.
func TestPgxTracer(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)
	tp, exp := tracingtest.NewRecorder(t)
	cfg := pg.Pool.Config()
	cfg.ConnConfig.Tracer = tracing.NewPgxTracer(tp)
	pool, err := pgxpoolNew(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT length($1::text)", "+15551234567").Scan(&n); err != nil {
		t.Fatal(err)
	}
	ctx, span := tp.Tracer("test").Start(context.Background(), "task")
	if err := pool.QueryRow(ctx, "SELECT length($1::text)", "ana@example.com").Scan(&n); err != nil {
		t.Fatal(err)
	}
	span.End()
	if trace.SpanFromContext(ctx) != span {
		t.Fatal("the caller's span changed")
	}
	spans := tracingtest.Recorded(exp)
	stmts := tracingtest.Find(spans, "postgres SELECT")
	if len(stmts) != 1 {
		t.Fatalf("%d statement spans, want 1 (the traced one): %+v", len(stmts), spans)
	}
	if stmts[0].ParentSpanID != span.SpanContext().SpanID().String() || stmts[0].Attrs["db.query.text"] != "SELECT length($1::text)" {
		t.Errorf("statement span %+v, want the SQL under the task's span", stmts[0])
	}
	tracingtest.CheckNoPersonalData(t, spans, []string{"+15551234567"}, "ana@example.com")
}
