package chaos

import (
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
)

// Faults are what the stand-in does to requests, each drawn per request.
type Faults struct {
	// Latency delays every answer.
	Latency time.Duration
	// Refuse500 answers a create with HTTP 500 without taking the message.
	Refuse500 float64
	// Drop takes the message and then drops the connection unanswered.
	Drop float64
	// Limit429 answers a create with HTTP 429 (Retry-After 1).
	Limit429 float64
	// ListFail answers a list with HTTP 500.
	ListFail float64
}

// StandIn is a Twilio stand-in: twiliofake's Messages API (create, list
// filtered by To, From and DateSent, paged) plus fetch of one message,
// behind a proxy that injects Faults and outages.
type StandIn struct {
	fake  *twiliofake.Fake
	srv   *httptest.Server
	proxy *httputil.ReverseProxy
	down  atomic.Bool

	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand
	// Counts of what the proxy did, by fault.
	counts map[string]int
}

// NewStandIn starts a stand-in for the account; it stops at t's cleanup.
func NewStandIn(t testing.TB, accountSID, authToken string, seed uint64) *StandIn {
	t.Helper()
	s := &StandIn{
		fake:   twiliofake.New(t, accountSID, authToken),
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		counts: make(map[string]int),
	}
	target, _ := url.Parse(s.fake.URL())
	s.proxy = httputil.NewSingleHostReverseProxy(target)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the stand-in's API base (TWILIO_API_BASE).
func (s *StandIn) URL() string { return s.srv.URL }

// SetFaults replaces the faults injected from now on.
func (s *StandIn) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// SetDown starts (true) or ends an outage: every request's connection is
// closed unanswered, before anything is taken.
func (s *StandIn) SetDown(down bool) { s.down.Store(down) }

// Messages returns every message the stand-in took, oldest first.
func (s *StandIn) Messages() []twiliofake.Message { return s.fake.Messages() }

// Counts returns how many requests met each fault.
func (s *StandIn) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// draw picks the fault for one request.
func (s *StandIn) draw(create bool) (string, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, x := s.faults, s.rng.Float64()
	fault := "none"
	switch {
	case create && x < f.Refuse500:
		fault = "refused_500"
	case create && x < f.Refuse500+f.Drop:
		fault = "accepted_dropped"
	case create && x < f.Refuse500+f.Drop+f.Limit429:
		fault = "limited_429"
	case !create && x < f.ListFail:
		fault = "list_500"
	}
	s.counts[fault]++
	return fault, f.Latency
}

func (s *StandIn) serve(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		hangUp(w)
		return
	}
	create := r.Method == http.MethodPost
	fault, latency := s.draw(create)
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	if sid, ok := fetchSID(r); ok {
		s.fetch(w, sid)
		return
	}
	switch fault {
	case "refused_500", "list_500":
		writeError(w, http.StatusInternalServerError, 20500, "Internal Server Error")
	case "limited_429":
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
	case "accepted_dropped":
		s.proxy.ServeHTTP(httptest.NewRecorder(), r) // taken; the answer is lost
		hangUp(w)
	default:
		s.proxy.ServeHTTP(w, r)
	}
}

// fetchSID recognizes GET …/Messages/{Sid}.json.
func fetchSID(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet {
		return "", false
	}
	_, rest, ok := strings.Cut(r.URL.Path, "/Messages/")
	sid, json := strings.CutSuffix(rest, ".json")
	return sid, ok && json && sid != "" && !strings.Contains(sid, "/")
}

// fetch answers Twilio's fetch of one message.
func (s *StandIn) fetch(w http.ResponseWriter, sid string) {
	for _, m := range s.fake.Messages() {
		if m.SID != sid {
			continue
		}
		out := map[string]any{
			"sid": m.SID, "to": m.To, "from": m.From, "body": m.Body, "status": m.Status,
			"messaging_service_sid": m.MessagingServiceSID, "num_segments": m.Segments,
			"date_created": m.DateCreated.Format(time.RFC1123Z), "direction": "outbound-api",
		}
		if !m.DateSent.IsZero() {
			out["date_sent"] = m.DateSent.Format(time.RFC1123Z)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "status": status})
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
