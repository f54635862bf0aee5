package admin

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/salonworks/jobs/internal/admin/ops"
	"github.com/salonworks/jobs/internal/config"
)

// challenge is the WWW-Authenticate of every 401.
const challenge = `Basic realm="jobs dashboard", charset="UTF-8"`

// maxLoggedName bounds the user name a failed login logs: it is whatever
// the client typed.
const maxLoggedName = 64

// ServeHTTP serves the /admin/ subtree. In order: security headers on every
// answer; 401 without credentials; 429 while the source has used up its
// failed logins; 401 (logged, counted) for a wrong name or password; then,
// for a state-changing request, the audit line around 403 from another
// origin, 403 for a viewer, or asynqmon's answer.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w, r, d.csp)
	name, password, ok := r.BasicAuth()
	if !ok {
		unauthorized(w)
		return
	}
	src := clientAddr(r)
	key := limitKey(src)
	if wait := d.limiter.take(key); wait > 0 {
		// Not logged: the failures that led here were, and a flood of
		// refusals must not flood the log.
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
		http.Error(w, "too many failed logins from your address; try again later", http.StatusTooManyRequests)
		return
	}
	u, ok := d.auth.check(name, password)
	if !ok {
		// The attempt stays spent.
		if len(name) > maxLoggedName {
			name = name[:maxLoggedName]
		}
		d.logger.Warn("dashboard login failed", "user", name, "source", src.String(), "method", r.Method, "path", r.URL.Path)
		unauthorized(w)
		return
	}
	d.limiter.refund(key)
	d.listQueues(r.Context())
	if safeMethod(r.Method) {
		d.route(w, r, u)
		return
	}
	d.audit(w, r, u, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := sameOrigin(r); err != nil {
			http.Error(w, "cross-origin request refused: "+err.Error(), http.StatusForbidden)
			return
		}
		if u.Role != config.RoleAdmin {
			http.Error(w, "your role ("+u.Role+") may only look; ask an admin", http.StatusForbidden)
			return
		}
		d.route(w, r, u)
	}))
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", challenge)
	http.Error(w, "authentication required", http.StatusUnauthorized)
}

// route sends an authenticated request to asynqmon: the full handler for
// admins, the read-only one for everyone else.
func (d *Dashboard) route(w http.ResponseWriter, r *http.Request, u config.AdminUser) {
	p := r.URL.Path
	switch {
	case ops.Owns(p):
		d.ops.Serve(w, r, ops.User{Name: u.Name, CanAct: u.Role == config.RoleAdmin})
	case p == RootPath || strings.HasPrefix(p, RootPath+"/"):
		var h http.Handler = d.readOnly
		if u.Role == config.RoleAdmin {
			h = d.full
		}
		if err := checkChartQuery(r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		allowCaching(w, r)
		if readsAPI(r) {
			maskTaskErrors(w, r, h, d.lookupPayload)
			return
		}
		h.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// sameOrigin checks that a state-changing request comes from the
// dashboard's own pages, so that a page elsewhere cannot make a signed-in
// operator's browser (which sends the basic credentials by itself) act.
//
// Sec-Fetch-Site, when sent, must be same-origin or none (typed by the
// user). Origin, when sent, must be this server's scheme and host; the
// scheme behind the ALB comes from X-Forwarded-Proto. A request with
// neither header is let through: every current browser sends Origin on a
// cross-origin POST, PUT, PATCH or DELETE (and Sec-Fetch-Site since 2023),
// so such a request does not come from a browser page and cannot be forged
// by one; curl and scripts keep working. Go's http.CrossOriginProtection
// lets such requests through too.
func sameOrigin(r *http.Request) error {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("Sec-Fetch-Site is %q", site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	if want := scheme(r) + "://" + r.Host; !strings.EqualFold(origin, want) {
		return fmt.Errorf("origin %q is not %q", origin, want)
	}
	return nil
}

// queueName is what an asynq queue name looks like here.
var queueName = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// checkChartQuery refuses a chart request whose queues parameter is not a
// list of queue names: asynqmon pastes it unescaped into the PromQL it
// sends to Prometheus (queue=~"..."), so anything else could make any
// signed-in user run a query of their own there.
func checkChartQuery(r *http.Request) error {
	if r.URL.Path != RootPath+"/api/metrics" {
		return nil
	}
	qs := r.URL.Query().Get("queues")
	if qs == "" {
		return nil
	}
	for _, q := range strings.Split(qs, ",") {
		if !queueName.MatchString(q) {
			return fmt.Errorf("queues: %q is not a queue name", q)
		}
	}
	return nil
}
