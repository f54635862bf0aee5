package apicall_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/apicall"
	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	synctasks "github.com/salonworks/jobs/tasks/sync"
)

// testKey stands for API_KEY; no error may ever carry it.
const testKey = "sk_live_7c1f0e9b-secret"

// request is what the fake API saw of one call.
type request struct {
	Method, URI, Body                              string
	APIKey, IdempotencyKey, ContentType, UserAgent string
}

// fakeAPI answers every call with respond and records what it saw.
type fakeAPI struct {
	*httptest.Server
	mu   sync.Mutex
	seen []request
}

func newFakeAPI(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *fakeAPI {
	t.Helper()
	api := &fakeAPI{}
	api.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		api.mu.Lock()
		api.seen = append(api.seen, request{
			Method: r.Method, URI: r.RequestURI, Body: string(body),
			APIKey: r.Header.Get("X-Api-Key"), IdempotencyKey: r.Header.Get("Idempotency-Key"),
			ContentType: r.Header.Get("Content-Type"), UserAgent: r.Header.Get("User-Agent"),
		})
		n := len(api.seen)
		api.mu.Unlock()
		respond(n, w, r)
	}))
	t.Cleanup(api.Close)
	return api
}

func (a *fakeAPI) requests() []request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]request(nil), a.seen...)
}

// now is the handlers' clock, for Retry-After dates.
var now = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

func newCaller(baseURL string) *apicall.Caller {
	c := apicall.New(baseURL, testKey, "salonworks-jobs/test")
	c.Clock = clock.Fixed(now)
	return c
}

// call runs one attempt of sync:api_call with p, as the worker does once
// the payload is decoded.
func call(t *testing.T, c *apicall.Caller, p synctasks.APICallPayload) error {
	t.Helper()
	return c.Call(context.Background(), task(t, p), &p)
}

func task(t *testing.T, p synctasks.APICallPayload) *asynq.Task {
	t.Helper()
	task, err := synctasks.NewAPICallTask(p)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestCallForwardsTheRequest(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(int, http.ResponseWriter, *http.Request) {})
	// A base URL with a path prefix and a trailing slash.
	h := newCaller(api.URL + "/api/")
	calls := []synctasks.APICallPayload{
		{Method: "POST", Path: "/salons/reset-queue?dry_run=false", Body: json.RawMessage(`{"salon_id":7}`)},
		{Method: "GET", Path: "/health"},
	}
	for _, p := range calls {
		if err := call(t, h, p); err != nil {
			t.Fatalf("%s %s: %v", p.Method, p.Path, err)
		}
	}
	want := []request{
		{Method: "POST", URI: "/api/salons/reset-queue?dry_run=false", Body: `{"salon_id":7}`, APIKey: testKey,
			ContentType: "application/json", UserAgent: "salonworks-jobs/test"},
		// No body, so no Content-Type; outside a worker there is no task ID.
		{Method: "GET", URI: "/api/health", APIKey: testKey, UserAgent: "salonworks-jobs/test"},
	}
	if diff := cmp.Diff(want, api.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestCallClassifiesAnswers(t *testing.T) {
	t.Parallel()
	type verdict int
	const (
		ok verdict = iota
		retry
		permanent
		rateLimited
	)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		want       verdict
		wantDelay  time.Duration
	}{
		{name: "200", status: 200, want: ok},
		{name: "204", status: 204, want: ok},
		{name: "503 is retried", status: 503, body: "upstream down", want: retry},
		{name: "500 is retried", status: 500, want: retry},
		{name: "400 is permanent", status: 400, body: `{"error":"bad salon id"}`, want: permanent},
		{name: "404 is permanent", status: 404, want: permanent},
		{name: "401 is permanent", status: 401, want: permanent},
		{name: "429 with seconds", status: 429, retryAfter: "7", want: rateLimited, wantDelay: 7 * time.Second},
		{name: "429 with an HTTP date", status: 429, retryAfter: now.Add(90 * time.Second).Format(http.TimeFormat),
			want: rateLimited, wantDelay: 90 * time.Second},
		{name: "429 with a date past", status: 429, retryAfter: now.Add(-time.Hour).Format(http.TimeFormat),
			want: rateLimited, wantDelay: time.Second},
		{name: "429 without Retry-After", status: 429, want: rateLimited, wantDelay: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newFakeAPI(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			err := call(t, newCaller(api.URL), synctasks.APICallPayload{Method: "POST", Path: "/salons/reset-queue"})
			rl, isRateLimit := taskerr.AsRateLimit(err)
			var got verdict
			switch {
			case err == nil:
				got = ok
			case isRateLimit:
				got = rateLimited
			case taskerr.IsPermanent(err):
				got = permanent
			default:
				got = retry
			}
			if got != tt.want {
				t.Fatalf("error %v: verdict %d, want %d (0 ok, 1 retry, 2 permanent, 3 rate limited)", err, got, tt.want)
			}
			if isRateLimit && (rl.Delay != tt.wantDelay || taskerr.IsPermanent(err)) {
				t.Errorf("rate limit delay %s (permanent %t), want %s, not permanent", rl.Delay, taskerr.IsPermanent(err), tt.wantDelay)
			}
			if err != nil && !strings.Contains(err.Error(), "POST /salons/reset-queue: status") {
				t.Errorf("error %q does not name the call and its status", err)
			}
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Errorf("error carries the API key: %q", err)
			}
		})
	}
}

func TestCallTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	h := newCaller(api.URL)
	h.Client.Timeout = 100 * time.Millisecond
	err := call(t, h, synctasks.APICallPayload{Method: "GET", Path: "/slow"})
	var timeout interface{ Timeout() bool }
	if err == nil || !errors.As(err, &timeout) || !timeout.Timeout() {
		t.Fatalf("error %v, want a timeout", err)
	}
	if taskerr.IsPermanent(err) {
		t.Errorf("timeout %v is permanent, want it retried", err)
	}
	if _, ok := taskerr.AsRateLimit(err); ok {
		t.Errorf("timeout %v is a rate limit", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error carries the API key: %q", err)
	}
}

func TestErrorsNeverCarryTheKeyEvenWhenTheAPIEchoesIt(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 429, 503} {
		// 500 bytes of padding put the key across the 512-byte cut of the
		// quoted body, where a prefix of it could slip through.
		for _, pad := range []int{0, 500} {
			api := newFakeAPI(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				io.WriteString(w, strings.Repeat("x", pad)+r.Header.Get("X-Api-Key")+" is not a valid key")
			})
			err := call(t, newCaller(api.URL), synctasks.APICallPayload{Method: "GET", Path: "/x"})
			if err == nil || strings.Contains(err.Error(), testKey[:10]) {
				t.Errorf("status %d, padding %d: error %v carries the API key", status, pad, err)
			}
		}
	}
}

func TestThroughAWorker(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	// BackoffBase 1s keeps the retry wait short.
	q := queues.Queue{Name: "apicall-test", Concurrency: 2, MaxRetry: 3, Timeout: 30 * time.Second,
		BackoffBase: time.Second, BackoffCap: time.Second, Retention: time.Hour}
	var flaky atomic.Int32
	api := newFakeAPI(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/refused":
			http.Error(w, `{"error":"unknown salon"}`, http.StatusBadRequest)
		case flaky.Add(1) == 1:
			http.Error(w, "warming up", http.StatusServiceUnavailable)
		}
	})
	handlers := worker.NewHandlers()
	worker.Handle(handlers, synctasks.KindAPICall, newCaller(api.URL).Call)
	w, err := worker.New(worker.Config{
		Redis:        r.Client,
		Queues:       []queues.Queue{q},
		Handlers:     handlers,
		PollInterval: 20 * time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
		Metrics:      metrics.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
	client := asynq.NewClientFromRedisClient(r.Client)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	enqueue := func(p synctasks.APICallPayload) *asynq.TaskInfo {
		task, err := synctasks.NewAPICallTask(p, q.Options()...)
		if err != nil {
			t.Fatal(err)
		}
		info, err := client.Enqueue(task)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	flakyTask := enqueue(synctasks.APICallPayload{Method: "POST", Path: "/flaky", Body: json.RawMessage(`{}`)})
	refusedTask := enqueue(synctasks.APICallPayload{Method: "POST", Path: "/refused"})

	t.Run("503 then 200 completes on the second attempt", func(t *testing.T) {
		info := waitState(t, insp, q.Name, flakyTask.ID, asynq.TaskStateCompleted)
		if info.Retried != 1 {
			t.Errorf("retried %d times, want 1", info.Retried)
		}
	})
	t.Run("400 is archived after one attempt", func(t *testing.T) {
		info := waitState(t, insp, q.Name, refusedTask.ID, asynq.TaskStateArchived)
		if info.Retried != 0 || !strings.Contains(info.LastErr, "status 400") || strings.Contains(info.LastErr, testKey) {
			t.Errorf("retried %d, last error %q: want 0 retries and the status, never the key", info.Retried, info.LastErr)
		}
	})
	t.Run("every attempt carries the task ID as Idempotency-Key", func(t *testing.T) {
		attempts := map[string][]string{}
		for _, req := range api.requests() {
			attempts[req.URI] = append(attempts[req.URI], req.IdempotencyKey)
		}
		want := map[string][]string{"/flaky": {flakyTask.ID, flakyTask.ID}, "/refused": {refusedTask.ID}}
		if diff := cmp.Diff(want, attempts); diff != "" {
			t.Errorf("Idempotency-Key by path (-want +got):\n%s", diff)
		}
	})
}

// waitState waits up to 20 seconds for the task to reach state.
func waitState(t *testing.T, insp *asynq.Inspector, queue, id string, state asynq.TaskState) *asynq.TaskInfo {
	t.Helper()
	return testenv.WaitTask(t, insp, queue, id, 20*time.Second, testenv.InState(state))
}

// A redirect to another origin must not carry API_KEY there: net/http
// forwards custom headers such as X-Api-Key on redirects, to any host.
func TestRedirectToAnotherOriginDoesNotCarryTheKey(t *testing.T) {
	t.Parallel()
	elsewhere := newFakeAPI(t, func(int, http.ResponseWriter, *http.Request) {})
	api := newFakeAPI(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/collect", http.StatusFound)
	})
	err := call(t, newCaller(api.URL), synctasks.APICallPayload{Method: "GET", Path: "/x"})
	for _, r := range elsewhere.requests() {
		if r.APIKey != "" {
			t.Fatalf("the redirect target received X-Api-Key %q", r.APIKey)
		}
	}
	if err == nil {
		t.Errorf("a redirect to another origin counted as success")
	}
}
