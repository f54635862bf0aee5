package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/tracing/tracingtest"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// The API's span, as its traceparent names it.
const (
	apiTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	apiSpanID  = "00f067aa0ba902b7"
)

// TestIngestEntryTraceReachesTwilio runs `jobs worker`'s parts with OTEL_*
// pointing at an OTLP/HTTP receiver: an ingest entry carrying the API's
// traceparent yields, in that trace, the bridge's enqueue span and the
// attempt's span under the API's span, and the Twilio call and the outbox
// statements under the attempt's span; no attribute holds the phone
// number or the body.
func TestIngestEntryTraceReachesTwilio(t *testing.T) {
	t.Parallel()
	const (
		sid, token = "AC0123456789abcdef0123456789abcdef", "f00dfeedf00dfeedf00dfeedf00dfeed"
		to         = "+15551234567"
		body       = "Your appointment at Studio Nine is confirmed"
	)
	recv := tracingtest.NewReceiver(t)
	pg := testenv.NewPostgres(t)
	rdb := testenv.NewRedis(t)
	fake := twiliofake.New(t, sid, token)
	env := map[string]string{
		"APP_ENV": "test", "DATABASE_URL": pg.URL, "REDIS_URL": rdb.URL(), "WORKER_QUEUES": "sms",
		"SMS_PROVIDER": "twilio", "TWILIO_API_BASE": fake.URL(), "TWILIO_ACCOUNT_SID": sid, "TWILIO_AUTH_TOKEN": token,
		"TWILIO_FROM": "+15550001111", "EMAIL_PROVIDER": "log", "STORAGE": "local", "LOCAL_STORAGE_DIR": t.TempDir(),
		"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL(), "OTEL_SERVICE_NAME": "jobs-test",
	}
	cfg, err := config.LoadFor(config.CmdWorker, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := Connect(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Needs{Postgres: true, Worker: true, Tracing: true})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			d.Close()
		}
	})
	if _, err := postgres.Seed(ctx, d.DB, time.Now()); err != nil {
		t.Fatal(err)
	}
	var salonID int64
	if err := d.DB.QueryRow(ctx, "SELECT id FROM salons ORDER BY id LIMIT 1").Scan(&salonID); err != nil {
		t.Fatal(err)
	}
	parts, _, err := WorkerParts(d)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range parts {
		if err := p.Start(); err != nil {
			for _, s := range parts[:i] {
				s.Shutdown()
			}
			t.Fatal(err)
		}
	}
	payload, _ := json.Marshal(tasksms.SendPayload{To: to, Body: body, SalonID: salonID, Category: "transactional", IdempotencyKey: "trace-1"})
	if err := rdb.Client.XAdd(ctx, &redis.XAddArgs{Stream: ingest.Stream, Values: []string{
		"kind", tasksms.KindSend, "payload", string(payload),
		"traceparent", "00-" + apiTraceID + "-" + apiSpanID + "-01", "tracestate", "api=1",
	}}).Err(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 20*time.Second, "the SMS to reach Twilio", func() bool { return len(fake.SentTo(to)) == 1 })
	// Shutting down flushes the spans to the receiver.
	for i := len(parts) - 1; i >= 0; i-- {
		parts[i].Shutdown()
	}
	d.Close()
	closed = true

	spans := recv.Spans()
	byID := map[string]tracingtest.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	one := func(name string) tracingtest.Span {
		t.Helper()
		// Only the API's trace: the reconciler's first pass on a fresh
		// Redis may enqueue tasks of its own, each in a trace of its own.
		var got []tracingtest.Span
		for _, s := range tracingtest.Find(spans, name) {
			if s.TraceID == apiTraceID {
				got = append(got, s)
			}
		}
		if len(got) != 1 {
			t.Fatalf("%d spans named %q in the API's trace %s, want 1; spans: %+v", len(got), name, apiTraceID, spans)
		}
		if got[0].Service != "jobs-test" {
			t.Errorf("span %q has service.name %q, want OTEL_SERVICE_NAME's jobs-test", name, got[0].Service)
		}
		return got[0]
	}
	enq := one("ingest enqueue sms:send")
	attempt := one("process sms:send")
	call := one("twilio POST /2010-04-01/Accounts/{AccountSid}/Messages.json")
	if enq.ParentSpanID != apiSpanID || attempt.ParentSpanID != apiSpanID {
		t.Errorf("enqueue's parent %s, attempt's parent %s; want both the API's span %s", enq.ParentSpanID, attempt.ParentSpanID, apiSpanID)
	}
	if call.ParentSpanID != attempt.SpanID {
		t.Errorf("Twilio call's parent is %q (%s), want the attempt's span", byID[call.ParentSpanID].Name, call.ParentSpanID)
	}
	if got := attempt.Attrs["jobs.task.outcome"]; got != "succeeded" {
		t.Errorf("attempt outcome = %q, want succeeded", got)
	}
	if got := attempt.Attrs["jobs.task.queue"]; got != "sms" {
		t.Errorf("attempt queue = %q, want sms", got)
	}
	if got := call.Attrs["http.response.status_code"]; got != "201" {
		t.Errorf("Twilio call status = %q, want 201", got)
	}
	statements := 0
	for _, s := range spans {
		if s.Attrs["db.system.name"] == "postgresql" && s.TraceID == apiTraceID {
			statements++
			if s.ParentSpanID != attempt.SpanID {
				t.Errorf("statement %q is under %q, want the attempt's span", s.Attrs["db.query.text"], byID[s.ParentSpanID].Name)
			}
		}
	}
	if statements == 0 {
		t.Error("no Postgres statement span under the attempt")
	}
	tracingtest.CheckNoPersonalData(t, spans, []string{to, "+15550001111"}, body, sid, token)
}
