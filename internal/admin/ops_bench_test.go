package admin

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/admin/admintest"
	"github.com/salonworks/jobs/internal/testenv"
)

// BenchmarkOpsPageFirstByte measures each operations page's time to the
// first byte of its answer over 100,000 texts (half of them one sending
// campaign's) and 100,000 emails, signed in (the password check is
// cached after the first request, as for a browser).
//
//	go test -run '^$' -bench OpsPageFirstByte ./internal/admin/
func BenchmarkOpsPageFirstByte(b *testing.B) {
	pg := testenv.NewPostgres(b)
	r := testenv.NewRedis(b)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, DB: r.DB})
	b.Cleanup(func() { rdb.Close() })
	seed := admintest.SeedOps(b, pg.Pool, rdb, time.Now())
	admintest.SeedOutboxes(b, pg.Pool, seed.SalonID, 100_000)
	f := benchFixture(b, r, pg)
	for _, page := range []string{"/admin", "/admin/ops/campaigns", "/admin/ops/sms", "/admin/ops/sms?state=failed&reason=unreachable",
		"/admin/ops/emails", "/admin/ops/dead-letters", "/admin/ops/schedules"} {
		b.Run(page, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				total += firstByte(b, f, page)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/first-byte")
		})
	}
}

// firstByte GETs page as the viewer and returns the time to its first
// byte.
func firstByte(b *testing.B, srvURL string, page string) time.Duration {
	req, err := http.NewRequest("GET", srvURL+page, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.SetBasicAuth(viewerName, viewerPass)
	var start, first time.Time
	req = req.WithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		WroteRequest:         func(httptrace.WroteRequestInfo) { start = time.Now() },
		GotFirstResponseByte: func() { first = time.Now() },
	}))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: status %d", page, resp.StatusCode)
	}
	return first.Sub(start)
}

// benchFixture serves the dashboard over r and pg and returns its URL.
func benchFixture(b *testing.B, r *testenv.Redis, pg *testenv.Postgres) string {
	b.Helper()
	f := newFixtureOn(b, r, pg.Pool)
	return f.srv.URL
}
