package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/salonworks/jobs/internal/config"
)

func TestFailedLoginsAreLimitedPerSource(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": "198.51.100.77, " + ip} }
	get := func(ip, user, pass string) *http.Response {
		resp, _ := f.do(t, req{method: "GET", path: RootPath + "/api/queues", user: user, pass: pass, header: from(ip)})
		return resp
	}
	for i := range DefaultFailureLimit {
		if resp := get("203.0.113.9", adminName, "guess"+strconv.Itoa(i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := get("203.0.113.9", adminName, "one more")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("failure %d: status %d, want 429", DefaultFailureLimit+1, resp.StatusCode)
	}
	wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || wait < 1 || wait > 6 {
		t.Errorf("Retry-After = %q, want 1..6 s (a minute's budget of 10 refills one try per 6 s)", resp.Header.Get("Retry-After"))
	}
	// While limited, even the right password gets 429: the answer must not
	// tell a guesser which guess was right.
	if resp := get("203.0.113.9", adminName, adminPass); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right password while limited: status %d, want 429", resp.StatusCode)
	}
	// Another source is not affected, nor is a request without credentials.
	if resp := get("203.0.113.10", adminName, adminPass); resp.StatusCode != http.StatusOK {
		t.Errorf("other source: status %d, want 200", resp.StatusCode)
	}
	if resp, _ := f.do(t, req{method: "GET", path: RootPath, header: from("203.0.113.9")}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no credentials while limited: status %d, want 401", resp.StatusCode)
	}
	f.clock.Advance(time.Duration(wait) * time.Second)
	if resp := get("203.0.113.9", adminName, adminPass); resp.StatusCode != http.StatusOK {
		t.Errorf("after Retry-After: status %d, want 200", resp.StatusCode)
	}

	// Each counted failure is logged with name and source, never the password.
	var failures int
	for _, l := range strings.Split(f.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil || m["msg"] != "dashboard login failed" {
			continue
		}
		failures++
		if m["user"] != adminName || m["source"] != "203.0.113.9" {
			t.Errorf("failure logged as user %v, source %v", m["user"], m["source"])
		}
	}
	if failures != DefaultFailureLimit {
		t.Errorf("%d failed logins logged, want %d", failures, DefaultFailureLimit)
	}
	if strings.Contains(f.logs.String(), "guess") {
		t.Error("a tried password reached the log")
	}
}

func TestFailureLimiterRefills(t *testing.T) {
	c := &testClock{now: time.Unix(1_700_000_000, 0)}
	l := newFailureLimiter(10, time.Minute, c.Now)
	src := limitKey(mustAddr(t, "203.0.113.1"))
	for i := range 30 {
		// Successful logins give their attempt back: never limited.
		if w := l.take(src); w != 0 {
			t.Fatalf("success %d: wait %v", i, w)
		}
		l.refund(src)
	}
	for i := range 10 {
		if w := l.take(src); w != 0 {
			t.Fatalf("failure %d: wait %v before the limit", i+1, w)
		}
	}
	if w := l.take(src); w <= 0 || w > 6*time.Second {
		t.Fatalf("wait after 10 failures = %v, want (0, 6s]", w)
	}
	c.Advance(6 * time.Second)
	if w := l.take(src); w != 0 {
		t.Errorf("wait 6 s later = %v, want 0 (one attempt refilled)", w)
	}
	if w := l.take(src); w == 0 {
		t.Error("a second attempt within 6 s was allowed")
	}
	c.Advance(time.Minute)
	l.sweep(c.Now())
	if len(l.sources) != 0 {
		t.Errorf("%d sources remembered a minute later, want 0", len(l.sources))
	}
}

// Concurrent guesses take their attempt before the slow bcrypt compare, so
// a burst of parallel requests gets no more tries than a sequence.
func TestConcurrentGuessesCannotOutrunTheLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const n = 40
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := http.NewRequest("GET", f.srv.URL+RootPath, nil)
			r.SetBasicAuth(adminName, fmt.Sprint("guess ", i))
			r.Header.Set("X-Forwarded-For", "203.0.113.50")
			resp, err := noRedirect.Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusUnauthorized] != DefaultFailureLimit || count[http.StatusTooManyRequests] != n-DefaultFailureLimit {
		t.Errorf("answers %v; want %d × 401 and %d × 429", count, DefaultFailureLimit, n-DefaultFailureLimit)
	}
}

func TestUnknownUsersCostABcryptCompare(t *testing.T) {
	users := testUsers(t)
	a, err := newAuthenticator(users, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var compared [][]byte
	real := a.compare
	a.compare = func(hash, pw []byte) error {
		compared = append(compared, hash)
		return real(hash, pw)
	}
	if _, ok := a.check("nobody", "x"); ok {
		t.Fatal("unknown user accepted")
	}
	if len(compared) != 1 {
		t.Fatalf("%d bcrypt compares for an unknown user, want 1", len(compared))
	}
	if c, _ := bcrypt.Cost(compared[0]); c != bcrypt.MinCost {
		t.Errorf("dummy hash cost %d, want the users' %d", c, bcrypt.MinCost)
	}
	if _, ok := a.check("nobody", "no such user"); ok {
		t.Error("the dummy hash's own password signs in an unknown user")
	}
}

func TestVerifiedCredentialsAreRemembered(t *testing.T) {
	c := &testClock{now: time.Unix(1_700_000_000, 0)}
	a, err := newAuthenticator(testUsers(t), c.Now)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	real := a.compare
	a.compare = func(hash, pw []byte) error { calls++; return real(hash, pw) }
	tests := []struct {
		name, user, pass string
		advance          time.Duration
		ok               bool
		wantCalls        int
	}{
		{"first sign-in compares", adminName, adminPass, 0, true, 1},
		{"next request is remembered", adminName, adminPass, time.Minute, true, 1},
		{"wrong password still compares", adminName, "wrong", 0, false, 2},
		{"and is never remembered", adminName, "wrong", 0, false, 3},
		{"another user's password for this name fails", viewerName, adminPass, 0, false, 4},
		{"after the TTL it compares again", adminName, adminPass, verifiedTTL, true, 5},
	}
	for _, tt := range tests {
		c.Advance(tt.advance)
		u, ok := a.check(tt.user, tt.pass)
		if ok != tt.ok || calls != tt.wantCalls {
			t.Errorf("%s: ok %v, compares %d; want %v, %d", tt.name, ok, calls, tt.ok, tt.wantCalls)
		}
		if ok && u.Role != config.RoleAdmin {
			t.Errorf("%s: role %q", tt.name, u.Role)
		}
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword([]byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(h)); c != HashCost {
		t.Errorf("cost %d, want %d", c, HashCost)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse")) != nil {
		t.Error("hash does not verify")
	}
	// The hash must be accepted by ADMIN_USERS's parser.
	cfg := &config.Config{AdminUsers: "ops:admin:" + h, AppEnv: "production"}
	if err := config.ValidateAdmin(cfg); err != nil || len(cfg.Admins()) != 1 {
		t.Errorf("ADMIN_USERS with the hash: %v, %d users", err, len(cfg.Admins()))
	}
	if _, err := HashPassword(nil); err == nil {
		t.Error("empty password hashed")
	}
}
