package admin

import (
	"github.com/salonworks/jobs/internal/admin/ops"

	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/salonworks/jobs/internal/admin/admintest"
)

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	f := newFixture(t, admintest.Small)
	tests := []struct {
		name   string
		rq     req
		status int
		cache  string
		hsts   bool
	}{
		{"401", req{method: "GET", path: RootPath}, 401, "no-store", false},
		{"page", req{method: "GET", path: RootPath, user: adminName, pass: adminPass}, 200, "no-store", false},
		{"viewer page", req{method: "GET", path: RootPath + "/servers", user: viewerName, pass: viewerPass}, 200, "no-store", false},
		{"api", req{method: "GET", path: RootPath + "/api/queues", user: adminName, pass: adminPass}, 200, "no-store", false},
		{"bundle unauthenticated", req{method: "GET", path: RootPath + "/static/js/main.5adda2da.chunk.js"}, 401, "no-store", false},
		{"bundle", req{method: "GET", path: RootPath + "/static/js/main.5adda2da.chunk.js", user: adminName, pass: adminPass}, 200, "private, max-age=31536000, immutable", false},
		{"403", req{method: "POST", path: RootPath + "/api/queues/sms:pause", user: viewerName, pass: viewerPass}, 403, "no-store", false},
		{"landing", req{method: "GET", path: "/admin/", user: adminName, pass: adminPass}, 200, "no-store", false},
		{"ops page", req{method: "GET", path: "/admin/ops/dead-letters", user: viewerName, pass: viewerPass}, 200, "no-store", false},
		{"behind the ALB over https", req{method: "GET", path: RootPath, user: adminName, pass: adminPass,
			header: map[string]string{"X-Forwarded-Proto": "https"}}, 200, "no-store", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.do(t, tt.rq)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %.200q", resp.StatusCode, tt.status, body)
			}
			if ops.Owns(tt.rq.path) {
				// The operations pages run no script and post forms.
				if got := resp.Header.Get("Content-Security-Policy"); got != ops.CSP {
					t.Errorf("Content-Security-Policy = %q, want %q", got, ops.CSP)
				}
			} else {
				checkHeaders(t, resp.Header, tt.hsts)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
		})
	}
}

func checkHeaders(t *testing.T, h http.Header, hsts bool) {
	t.Helper()
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"frame-ancestors 'none'", "default-src 'none'", "script-src 'self' 'sha256-", "connect-src 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if got := h.Get("Strict-Transport-Security"); (got != "") != hsts {
		t.Errorf("Strict-Transport-Security = %q, want present: %v", got, hsts)
	}
}

func TestHSTSOnlyOverTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		remote string
		tls    bool
		proto  string
		want   bool
	}{
		{"plain http", "10.0.3.4:5000", false, "", false},
		{"tls here", "198.51.100.1:5000", true, "", true},
		{"ALB says https", "10.0.3.4:5000", false, "https", true},
		{"ALB says http", "10.0.3.4:5000", false, "http", false},
		{"a client on the internet claims https", "198.51.100.1:5000", false, "https", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", RootPath, nil)
			r.RemoteAddr = tt.remote
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			w := httptest.NewRecorder()
			setSecurityHeaders(w, r, "default-src 'none'")
			if got := w.Header().Get("Strict-Transport-Security") != ""; got != tt.want {
				t.Errorf("HSTS sent = %v, want %v", got, tt.want)
			}
		})
	}
}

// The policy allows exactly the inline scripts asynqmon's index holds, and
// never inline or evaluated script in general.
func TestCSPAllowsTheIndexScriptsOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, u := range []struct{ name, pass string }{{adminName, adminPass}, {viewerName, viewerPass}} {
		resp, body := f.do(t, req{method: "GET", path: RootPath, user: u.name, pass: u.pass})
		csp := resp.Header.Get("Content-Security-Policy")
		hashes := scriptHashes([]byte(body))
		if len(hashes) != 2 {
			t.Fatalf("%s: %d inline scripts in the index, want asynqmon's 2 (flags, webpack runtime)", u.name, len(hashes))
		}
		for _, h := range hashes {
			if !strings.Contains(csp, h) {
				t.Errorf("%s: CSP lacks the index script hash %s", u.name, h)
			}
		}
		if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
			t.Errorf("CSP allows arbitrary script: %s", csp)
		}
	}
}
