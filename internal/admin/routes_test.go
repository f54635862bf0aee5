package admin

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// asynqmonRoutes parses the asynqmon source this module builds with
// (handler.go's muxRouter) and returns every API route it registers, so
// tests cover asynqmon's routes rather than a list someone picked.
func asynqmonRoutes(t *testing.T) []Route {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hibiken/asynqmon").Output()
	if err != nil {
		t.Fatalf("locate asynqmon's source: %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(out)), "handler.go")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Every API route hangs off this subrouter; if it moved, the templates
	// below would be relative to something else.
	if !strings.Contains(string(src), `api := router.PathPrefix("/api").Subrouter()`) {
		t.Fatalf("%s: the /api subrouter is no longer where this parser expects it", file)
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var routes []Route
	ast.Inspect(f, func(n ast.Node) bool {
		// api.HandleFunc("/template", handler).Methods("GET", ...)
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		methods, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || methods.Sel.Name != "Methods" {
			return true
		}
		handle, ok := methods.X.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := handle.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "HandleFunc" || len(handle.Args) == 0 {
			return true
		}
		if recv, ok := sel.X.(*ast.Ident); !ok || recv.Name != "api" {
			t.Errorf("route registered on %v, not on the api subrouter", sel.X)
			return true
		}
		tmpl := stringLit(t, handle.Args[0])
		for _, m := range call.Args {
			routes = append(routes, Route{Method: stringLit(t, m), Template: "/api" + tmpl})
		}
		return true
	})
	if len(routes) < 40 {
		t.Fatalf("found %d routes in %s; the parser no longer understands it", len(routes), file)
	}
	return routes
}

func stringLit(t *testing.T, e ast.Expr) string {
	t.Helper()
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		t.Fatalf("expected a string literal, got %T", e)
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stateChanging returns the routes of every method but GET and HEAD.
func stateChanging(t *testing.T, routes []Route) []Route {
	t.Helper()
	var out []Route
	for _, r := range routes {
		if !safeMethod(r.Method) {
			out = append(out, r)
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d state-changing routes found; expected the ~48 of asynqmon v0.7.2", len(out))
	}
	return out
}

// samplePath fills a template's variables with values of a real queue,
// group and task (with colons, as the scheduler's task IDs have).
func samplePath(tmpl string) string {
	return strings.NewReplacer(
		"{qname}", "sms",
		"{gname}", "salon-1",
		"{task_id}", "schedule:review-sms:1700000000",
		"{entry_id}", "entry-1",
	).Replace(tmpl)
}

func TestActionRoutesAreAsynqmons(t *testing.T) {
	want := stateChanging(t, asynqmonRoutes(t))
	if diff := cmp.Diff(want, ActionRoutes); diff != "" {
		t.Errorf("ActionRoutes drifted from asynqmon's router (-asynqmon +ActionRoutes):\n%s", diff)
	}
}

func TestRouteMatcherNamesEveryAction(t *testing.T) {
	m := newRouteMatcher(ActionRoutes)
	for _, r := range stateChanging(t, asynqmonRoutes(t)) {
		t.Run(r.String(), func(t *testing.T) {
			got, vars, ok := m.match(r.Method, samplePath(r.Template))
			if !ok {
				t.Fatalf("no route for %s %s", r.Method, samplePath(r.Template))
			}
			if got != r {
				t.Errorf("matched %s, want %s", got, r)
			}
			if vars["qname"] != "sms" {
				t.Errorf("qname = %q", vars["qname"])
			}
			if strings.Contains(r.Template, "{task_id}") && vars["task_id"] != "schedule:review-sms:1700000000" {
				t.Errorf("task_id = %q", vars["task_id"])
			}
		})
	}
}

func TestRouteMatcher(t *testing.T) {
	m := newRouteMatcher(ActionRoutes)
	tests := []struct {
		name, method, path string
		want               string
		vars               map[string]string
	}{
		{"pause", "POST", "/api/queues/emails:pause", "POST /api/queues/{qname}:pause", map[string]string{"qname": "emails"}},
		{"delete queue", "DELETE", "/api/queues/emails", "DELETE /api/queues/{qname}", map[string]string{"qname": "emails"}},
		{"task id with colons, run", "POST", "/api/queues/sms/archived_tasks/a:b:c:run",
			"POST /api/queues/{qname}/archived_tasks/{task_id}:run", map[string]string{"qname": "sms", "task_id": "a:b:c"}},
		{"task id ending like a verb, delete", "DELETE", "/api/queues/sms/archived_tasks/x:run",
			"DELETE /api/queues/{qname}/archived_tasks/{task_id}", map[string]string{"qname": "sms", "task_id": "x:run"}},
		{"group", "POST", "/api/queues/sms/groups/g1/aggregating_tasks:run_all",
			"POST /api/queues/{qname}/groups/{gname}/aggregating_tasks:run_all", map[string]string{"qname": "sms", "gname": "g1"}},
		{"read is no action", "GET", "/api/queues/sms", "", nil},
		{"unknown", "POST", "/api/queues/sms/nothing", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, vars, ok := m.match(tt.method, tt.path)
			if got := map[bool]string{true: r.String(), false: ""}[ok]; got != tt.want {
				t.Fatalf("match = %q, want %q", got, tt.want)
			}
			if diff := cmp.Diff(tt.vars, vars); ok && diff != "" {
				t.Errorf("vars (-want +got):\n%s", diff)
			}
		})
	}
}
