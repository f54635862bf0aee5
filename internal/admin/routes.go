package admin

import (
	"net/http"
	"regexp"
	"strings"
)

// Route is one of asynqmon's API routes: a method and a path template
// relative to RootPath, in gorilla/mux syntax ("{qname}" is one path
// segment).
type Route struct {
	// Method is the HTTP method.
	Method string
	// Template is the path below RootPath, such as
	// "/api/queues/{qname}/archived_tasks/{task_id}".
	Template string
}

// String returns "METHOD template", the action an audit line names.
func (r Route) String() string { return r.Method + " " + r.Template }

// ActionRoutes are asynqmon v0.7.2's state-changing API routes, in the
// order its router registers them (handler.go, muxRouter). The audit log
// names an action by its template, so it needs them at run time; a test
// parses asynqmon's source and fails when this list drifts from it.
// Viewers are refused every non-GET request whether or not it is listed
// here: the list only names actions, it grants nothing.
var ActionRoutes = []Route{
	{"DELETE", "/api/queues/{qname}"},
	{"POST", "/api/queues/{qname}:pause"},
	{"POST", "/api/queues/{qname}:resume"},
	{"POST", "/api/queues/{qname}/active_tasks/{task_id}:cancel"},
	{"POST", "/api/queues/{qname}/active_tasks:cancel_all"},
	{"POST", "/api/queues/{qname}/active_tasks:batch_cancel"},
	{"DELETE", "/api/queues/{qname}/pending_tasks/{task_id}"},
	{"DELETE", "/api/queues/{qname}/pending_tasks:delete_all"},
	{"POST", "/api/queues/{qname}/pending_tasks:batch_delete"},
	{"POST", "/api/queues/{qname}/pending_tasks/{task_id}:archive"},
	{"POST", "/api/queues/{qname}/pending_tasks:archive_all"},
	{"POST", "/api/queues/{qname}/pending_tasks:batch_archive"},
	{"DELETE", "/api/queues/{qname}/scheduled_tasks/{task_id}"},
	{"DELETE", "/api/queues/{qname}/scheduled_tasks:delete_all"},
	{"POST", "/api/queues/{qname}/scheduled_tasks:batch_delete"},
	{"POST", "/api/queues/{qname}/scheduled_tasks/{task_id}:run"},
	{"POST", "/api/queues/{qname}/scheduled_tasks:run_all"},
	{"POST", "/api/queues/{qname}/scheduled_tasks:batch_run"},
	{"POST", "/api/queues/{qname}/scheduled_tasks/{task_id}:archive"},
	{"POST", "/api/queues/{qname}/scheduled_tasks:archive_all"},
	{"POST", "/api/queues/{qname}/scheduled_tasks:batch_archive"},
	{"DELETE", "/api/queues/{qname}/retry_tasks/{task_id}"},
	{"DELETE", "/api/queues/{qname}/retry_tasks:delete_all"},
	{"POST", "/api/queues/{qname}/retry_tasks:batch_delete"},
	{"POST", "/api/queues/{qname}/retry_tasks/{task_id}:run"},
	{"POST", "/api/queues/{qname}/retry_tasks:run_all"},
	{"POST", "/api/queues/{qname}/retry_tasks:batch_run"},
	{"POST", "/api/queues/{qname}/retry_tasks/{task_id}:archive"},
	{"POST", "/api/queues/{qname}/retry_tasks:archive_all"},
	{"POST", "/api/queues/{qname}/retry_tasks:batch_archive"},
	{"DELETE", "/api/queues/{qname}/archived_tasks/{task_id}"},
	{"DELETE", "/api/queues/{qname}/archived_tasks:delete_all"},
	{"POST", "/api/queues/{qname}/archived_tasks:batch_delete"},
	{"POST", "/api/queues/{qname}/archived_tasks/{task_id}:run"},
	{"POST", "/api/queues/{qname}/archived_tasks:run_all"},
	{"POST", "/api/queues/{qname}/archived_tasks:batch_run"},
	{"DELETE", "/api/queues/{qname}/completed_tasks/{task_id}"},
	{"DELETE", "/api/queues/{qname}/completed_tasks:delete_all"},
	{"POST", "/api/queues/{qname}/completed_tasks:batch_delete"},
	{"DELETE", "/api/queues/{qname}/groups/{gname}/aggregating_tasks/{task_id}"},
	{"DELETE", "/api/queues/{qname}/groups/{gname}/aggregating_tasks:delete_all"},
	{"POST", "/api/queues/{qname}/groups/{gname}/aggregating_tasks:batch_delete"},
	{"POST", "/api/queues/{qname}/groups/{gname}/aggregating_tasks/{task_id}:run"},
	{"POST", "/api/queues/{qname}/groups/{gname}/aggregating_tasks:run_all"},
	{"POST", "/api/queues/{qname}/groups/{gname}/aggregating_tasks:batch_run"},
	{"POST", "/api/queues/{qname}/groups/{gname}/aggregating_tasks/{task_id}:archive"},
	{"POST", "/api/queues/{qname}/groups/{gname}/aggregating_tasks:archive_all"},
	{"POST", "/api/queues/{qname}/groups/{gname}/aggregating_tasks:batch_archive"},
}

// routeMatcher finds the template of a request path the way gorilla/mux
// does: each variable is one or more characters other than "/", so a task
// ID holding ":" (the scheduler's "schedule:review-sms:1700000000") still
// matches, and routes are tried in registration order.
type routeMatcher struct {
	routes []compiledRoute
}

type compiledRoute struct {
	Route
	re   *regexp.Regexp
	vars []string
}

var templateVar = regexp.MustCompile(`\{([a-z_]+)\}`)

func newRouteMatcher(routes []Route) *routeMatcher {
	m := &routeMatcher{}
	for _, r := range routes {
		var pattern strings.Builder
		var vars []string
		pattern.WriteString("^")
		last := 0
		for _, loc := range templateVar.FindAllStringSubmatchIndex(r.Template, -1) {
			pattern.WriteString(regexp.QuoteMeta(r.Template[last:loc[0]]))
			pattern.WriteString("([^/]+)")
			vars = append(vars, r.Template[loc[2]:loc[3]])
			last = loc[1]
		}
		pattern.WriteString(regexp.QuoteMeta(r.Template[last:]))
		pattern.WriteString("$")
		m.routes = append(m.routes, compiledRoute{Route: r, re: regexp.MustCompile(pattern.String()), vars: vars})
	}
	return m
}

// match returns the route of method and path (below RootPath) with its
// variables, or ok false.
func (m *routeMatcher) match(method, path string) (Route, map[string]string, bool) {
	for _, r := range m.routes {
		if r.Method != method {
			continue
		}
		sub := r.re.FindStringSubmatch(path)
		if sub == nil {
			continue
		}
		vars := make(map[string]string, len(r.vars))
		for i, name := range r.vars {
			vars[name] = sub[i+1]
		}
		return r.Route, vars, true
	}
	return Route{}, nil, false
}

// safeMethod reports whether a request only reads. Every other method is
// treated as state-changing: it needs the admin role and the dashboard's
// own origin, and it is audited.
func safeMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }
