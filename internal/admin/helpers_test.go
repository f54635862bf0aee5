package admin

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/salonworks/jobs/internal/admin/admintest"
	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/testenv"
)

// Test users; their hashes use bcrypt's lowest cost to keep tests fast.
const (
	adminName, adminPass   = "ops", "admin secret"
	viewerName, viewerPass = "eve", "viewer secret"
)

func testUsers(t testing.TB) []config.AdminUser {
	t.Helper()
	hash := func(p string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	return []config.AdminUser{
		{Name: adminName, Role: config.RoleAdmin, Hash: hash(adminPass)},
		{Name: viewerName, Role: config.RoleViewer, Hash: hash(viewerPass)},
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testClock is a settable time for the limiter.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a dashboard over a seeded Redis database of its own, served
// on a loopback httptest server the way `jobs admin` mounts it.
type fixture struct {
	srv   *httptest.Server
	redis *testenv.Redis
	dash  *Dashboard
	insp  *asynq.Inspector
	logs  *syncBuffer
	clock *testClock
}

func newFixture(t *testing.T, plan admintest.Plan) *fixture {
	t.Helper()
	return newFixtureDB(t, plan, nil)
}

// newFixtureDB is newFixture with the operations pages on db.
func newFixtureDB(t *testing.T, plan admintest.Plan, db *pgxpool.Pool) *fixture {
	t.Helper()
	r := testenv.NewRedis(t)
	if plan != nil {
		admintest.Seed(t, r.ConnOpt(), plan)
	}
	return newFixtureOn(t, r, db)
}

// newFixtureOn serves the dashboard over r and db.
func newFixtureOn(t testing.TB, r *testenv.Redis, db *pgxpool.Pool) *fixture {
	t.Helper()
	f := &fixture{redis: r, logs: &syncBuffer{}, clock: &testClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	dash, err := New(Config{
		Redis:  r.ConnOpt(),
		Users:  testUsers(t),
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)),
		Clock:  f.clock.Now,
		DB:     db,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dash.Close() })
	mux := http.NewServeMux()
	// Mounted beside the dashboard as the Twilio webhooks are.
	mux.HandleFunc("POST /webhooks/twilio/status", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	dash.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.dash = dash
	f.insp = asynq.NewInspector(r.ConnOpt())
	t.Cleanup(func() { f.insp.Close() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dashboard log:\n%s", f.logs.String())
		}
	})
	return f
}

// req describes one request to the fixture.
type req struct {
	method, path string
	user, pass   string
	header       map[string]string
	body         string
}

// do sends rq and returns the response with its body read.
func (f *fixture) do(t *testing.T, rq req) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r, err := http.NewRequest(rq.method, f.srv.URL+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if rq.user != "" {
		r.SetBasicAuth(rq.user, rq.pass)
	}
	if rq.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// sameOriginHeaders are what Chromium sends with the dashboard's own
// fetch of a state-changing request.
func (f *fixture) sameOriginHeaders() map[string]string {
	return map[string]string{"Origin": f.srv.URL, "Sec-Fetch-Site": "same-origin"}
}

func mustAddr(t testing.TB, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
