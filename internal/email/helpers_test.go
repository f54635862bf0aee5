package email

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

// testFrom is the sender the tests send as.
const testFrom = "Salonworks <no-reply@salonworks.dev>"

// t0 is the tests' fixed clock.
var t0 = time.Date(2026, 3, 8, 15, 0, 0, 0, time.UTC)

// testAWS is a fixed region and fake static credentials: nothing is read
// from the environment or the instance.
func testAWS() *aws.Config {
	return &aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
}

// newSES returns the real SES provider pointed at endpoint.
func newSES(t testing.TB, endpoint, configSet string) *SES {
	t.Helper()
	p, err := NewSES(context.Background(), SESConfig{Endpoint: endpoint, ConfigurationSet: configSet, AWS: testAWS()})
	if err != nil {
		t.Fatalf("NewSES() = %v", err)
	}
	return p
}

// fixture is one test's outbox and a sender on it.
type fixture struct {
	store   *outbox.Store
	pg      *testenv.Postgres
	s       *Sender
	pauser  *fakePauser
	logs    *syncBuffer
	metrics *Metrics
}

func newFixture(t testing.TB, p Provider) *fixture {
	t.Helper()
	pg := testenv.NewPostgres(t)
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: outbox.New(pg.Pool), pg: pg, pauser: &fakePauser{}, logs: &syncBuffer{}, metrics: m}
	f.s = &Sender{
		Store: f.store, Provider: p, Renderer: r, Pauser: f.pauser, Metrics: m,
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)),
		Clock:  clock.Fixed(t0), From: testFrom, ThrottleDelay: time.Second,
	}
	return f
}

// run processes one email:send task for p.
func (f *fixture) run(t testing.TB, p taskemail.SendPayload) error {
	t.Helper()
	task, err := taskemail.NewSendTask(p)
	if err != nil {
		t.Fatalf("NewSendTask() = %v", err)
	}
	return handler(f.s).ProcessTask(context.Background(), task)
}

// row returns the outbox row of p.
func (f *fixture) row(t testing.TB, p taskemail.SendPayload) outbox.Message {
	t.Helper()
	m, err := f.store.GetByKey(context.Background(), IdempotencyKey(p))
	if err != nil {
		t.Fatalf("outbox row of %s: %v", p.Template, err)
	}
	return m
}

// welcome is a valid welcome email to ana@example.com.
func welcome(key string) taskemail.SendPayload {
	return taskemail.SendPayload{Template: taskemail.TemplateWelcome, To: "ana@example.com", Data: map[string]any{"name": "Ana"}, IdempotencyKey: key}
}

// fakePauser records the queues it was asked to pause.
type fakePauser struct {
	mu     sync.Mutex
	paused []string
}

func (p *fakePauser) PauseQueue(q string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, have := range p.paused {
		if have == q {
			return fmt.Errorf("queue %q is already paused", q)
		}
	}
	p.paused = append(p.paused, q)
	return nil
}

func (p *fakePauser) queues() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.paused...)
}

// fakeSES is an httptest fake of SES v2's SendEmail
// (POST /v2/email/outbound-emails) that the real SDK talks to. It answers
// with answer(n) for the n-th request (1-based), by default a message ID.
type fakeSES struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []sesRequest
	answer   func(n int, w http.ResponseWriter, r *http.Request)
}

// sesRequest is one SendEmail call as the fake received it.
type sesRequest struct {
	Path          string
	Authorization string
	Body          sendEmailBody
}

type sesContent struct{ Data, Charset string }

// sendEmailBody is the part of SendEmail's JSON input the tests read.
type sendEmailBody struct {
	FromEmailAddress     string
	ConfigurationSetName string
	Destination          struct{ ToAddresses, CcAddresses, BccAddresses []string }
	Content              struct {
		Simple struct {
			Subject sesContent
			Body    struct{ Html, Text sesContent }
		}
	}
	EmailTags []struct{ Name, Value string }
}

func newFakeSES(t testing.TB) *fakeSES {
	t.Helper()
	f := &fakeSES{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSES) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body sendEmailBody
	_ = json.Unmarshal(raw, &body)
	f.mu.Lock()
	f.requests = append(f.requests, sesRequest{Path: r.Method + " " + r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: body})
	n, answer := len(f.requests), f.answer
	f.mu.Unlock()
	if answer == nil {
		answer = answerOK
	}
	answer(n, w, r)
}

// setAnswer makes the fake answer every request with a.
func (f *fakeSES) setAnswer(a func(n int, w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = a
}

func (f *fakeSES) calls() []sesRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sesRequest(nil), f.requests...)
}

// answerOK accepts the email, as SES does.
func answerOK(n int, w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"MessageId":"fake-%d"}`, n)
}

// answerError answers with SES's JSON error shape: the status, the error
// type in x-amzn-ErrorType and the message in the body.
func answerError(status int, errType, message string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amzn-ErrorType", errType)
		w.Header().Set("x-amzn-RequestId", "req-1")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"message": message})
	}
}

// syncBuffer is a log sink the handler and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// handler is s as the worker registers it: worker.Handle decodes and
// validates the payload, then Send runs.
func handler(s *Sender) asynq.Handler {
	h := worker.NewHandlers()
	worker.Handle(h, taskemail.KindSend, s.Send)
	fn, _ := h.Lookup(taskemail.KindSend)
	return fn
}

// rawTask is an email:send task with any payload, valid or not.
func rawTask(payload string) *asynq.Task {
	return asynq.NewTask(taskemail.KindSend, []byte(payload))
}
