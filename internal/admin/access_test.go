package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/salonworks/jobs/internal/admin/admintest"
)

// uiPaths are the pages and files of the dashboard besides its API.
var uiPaths = []string{
	"/admin", "/admin/", "/admin/queues", "/admin/queues/", "/admin/queues/servers",
	"/admin/queues/queues/sms?status=archived", "/admin/queues/favicon.ico",
	"/admin/queues/static/js/main.5adda2da.chunk.js", "/admin/other",
}

func TestEveryAdminRouteNeedsCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t, admintest.Small)
	type probe struct{ method, path, user, pass string }
	var probes []probe
	for _, r := range asynqmonRoutes(t) {
		probes = append(probes, probe{method: r.Method, path: RootPath + samplePath(r.Template)})
	}
	for _, p := range uiPaths {
		probes = append(probes, probe{method: "GET", path: p}, probe{method: "POST", path: p})
	}
	// Wrong credentials are no better than none.
	probes = append(probes,
		probe{"GET", RootPath, adminName, "wrong"},
		probe{"GET", RootPath, "nobody", adminPass},
		probe{"POST", RootPath + "/api/queues/sms:pause", viewerName, adminPass},
	)
	if len(probes) < 60 {
		t.Fatalf("only %d probes", len(probes))
	}
	for _, p := range probes {
		t.Run(p.method+" "+p.path+" "+p.user, func(t *testing.T) {
			resp, body := f.do(t, req{method: p.method, path: p.path, user: p.user, pass: p.pass, header: f.sameOriginHeaders()})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %.200q", resp.StatusCode, body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic realm=") {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if resp.Header.Get("Content-Security-Policy") == "" {
				t.Error("401 without security headers")
			}
		})
	}
	// Webhooks are not the dashboard's: they answer without basic auth.
	resp, _ := f.do(t, req{method: "POST", path: "/webhooks/twilio/status"})
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("extra handler: status %d, want 204", resp.StatusCode)
	}
	for _, name := range []string{"admin secret", "viewer secret"} {
		if strings.Contains(f.logs.String(), name) {
			t.Errorf("a password (%q) reached the log", name)
		}
	}
}

func TestViewerIsRefusedEveryStateChangingRoute(t *testing.T) {
	t.Parallel()
	f := newFixture(t, admintest.Small)
	routes := stateChanging(t, asynqmonRoutes(t))
	for _, r := range routes {
		t.Run(r.String(), func(t *testing.T) {
			resp, body := f.do(t, req{
				method: r.Method, path: RootPath + samplePath(r.Template),
				user: viewerName, pass: viewerPass, header: f.sameOriginHeaders(),
				body: `{"task_ids":["seed:sms:archived:0"]}`,
			})
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403; body %.200q", resp.StatusCode, body)
			}
		})
	}
	// Nothing changed: the sms queue runs and keeps every task.
	info, err := f.insp.GetQueueInfo("sms")
	if err != nil {
		t.Fatal(err)
	}
	if info.Paused || info.Size != admintest.Small["sms"].Total() {
		t.Errorf("sms after the viewer's attempts: paused %v, size %d; want running with %d", info.Paused, info.Size, admintest.Small["sms"].Total())
	}
	// Each refusal is audited.
	if n := strings.Count(f.logs.String(), `"role":"viewer"`); n != len(routes) {
		t.Errorf("%d audit lines for the viewer, want %d", n, len(routes))
	}
	// Reading is what a viewer may do.
	resp, _ := f.do(t, req{method: "GET", path: RootPath + "/api/queues/sms", user: viewerName, pass: viewerPass})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("viewer GET queue: status %d, want 200", resp.StatusCode)
	}
}

func TestCrossOriginRequestsAreRefusedEvenForAdmins(t *testing.T) {
	t.Parallel()
	f := newFixture(t, admintest.Small)
	pause := RootPath + "/api/queues/emails:pause"
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"other origin", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"other origin, same host name, other scheme", map[string]string{"Origin": "https" + strings.TrimPrefix(f.srv.URL, "http")}, http.StatusForbidden},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site but other origin", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": f.srv.URL}, http.StatusForbidden},
		{"opaque origin", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"same origin", f.sameOriginHeaders(), http.StatusNoContent},
		{"behind the ALB over https", map[string]string{"Origin": "https" + strings.TrimPrefix(f.srv.URL, "http"), "X-Forwarded-Proto": "https", "Sec-Fetch-Site": "same-origin"}, http.StatusNoContent},
		{"not a browser (neither header)", nil, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.do(t, req{method: "POST", path: pause, user: adminName, pass: adminPass, header: tt.header})
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d; body %.200q", resp.StatusCode, tt.want, body)
			}
			info, err := f.insp.GetQueueInfo("emails")
			if err != nil {
				t.Fatal(err)
			}
			if info.Paused != (tt.want == http.StatusNoContent) {
				t.Errorf("paused = %v after status %d", info.Paused, resp.StatusCode)
			}
			if err := f.insp.UnpauseQueue("emails"); err != nil && info.Paused {
				t.Fatal(err)
			}
		})
	}
}
