package deploytest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// composeFile is the part of the compose specification deploy/compose.yaml
// uses. Unknown keys fail the parse, so a typo (depends_on: condition:
// service_healty) cannot pass unnoticed.
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
	Jobs     any                       `yaml:"x-jobs"`
	Env      any                       `yaml:"x-env"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string            `yaml:"context"`
		Dockerfile string            `yaml:"dockerfile"`
		Args       map[string]string `yaml:"args"`
	} `yaml:"build"`
	Command     []string       `yaml:"command"`
	Environment map[string]any `yaml:"environment"`
	Volumes     []string       `yaml:"volumes"`
	Ports       []string       `yaml:"ports"`
	Profiles    []string       `yaml:"profiles"`
	Restart     string         `yaml:"restart"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Disable     bool     `yaml:"disable"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Deploy *struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
	StopGracePeriod string `yaml:"stop_grace_period"`
}

// jobsRoles are the compose services that run the jobs image, with their
// command.
var jobsRoles = map[string]string{
	"migrate": "migrate", "seed": "seed", "worker": "worker", "scheduler": "scheduler", "admin": "admin",
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var f composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(readRepoFile(t, "deploy/compose.yaml"))))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	return f
}

func TestComposeServices(t *testing.T) {
	f := loadCompose(t)
	var names []string
	for n := range f.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"admin", "migrate", "postgres", "prometheus", "redis", "scheduler", "seed", "worker"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("services (-want +got):\n%s", diff)
	}
	for name, cmd := range jobsRoles {
		s := f.Services[name]
		if s.Build == nil || s.Build.Context != ".." || s.Build.Dockerfile != "Dockerfile" {
			t.Errorf("%s: not built from the repository's Dockerfile (build: context .., dockerfile Dockerfile)", name)
		} else if _, err := os.Stat(filepath.Join(repoRoot(t), "deploy", s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if diff := cmp.Diff([]string{cmd}, s.Command); diff != "" {
			t.Errorf("%s command (-want +got):\n%s", name, diff)
		}
	}
	if s := f.Services["scheduler"]; s.Deploy == nil || s.Deploy.Replicas != 2 {
		t.Error("scheduler: want deploy.replicas 2 (two leader-elected replicas)")
	}
	if diff := cmp.Diff([]string{"127.0.0.1:8080:8080"}, f.Services["admin"].Ports); diff != "" {
		t.Errorf("admin ports: the dashboard is published on the loopback address only (-want +got):\n%s", diff)
	}
	for name, s := range f.Services {
		if name != "admin" && name != "prometheus" && len(s.Ports) > 0 {
			t.Errorf("%s publishes ports %v; only admin (and the optional prometheus) should", name, s.Ports)
		}
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %s beyond the loopback address", name, p)
			}
		}
	}
	for _, name := range []string{"seed", "prometheus"} {
		if len(f.Services[name].Profiles) == 0 {
			t.Errorf("%s runs by default; it belongs to a profile", name)
		}
	}
}

func TestComposeHealthChecksAndOrder(t *testing.T) {
	f := loadCompose(t)
	entry := dockerfileEntrypoint(t)
	healthcheck := []string{"CMD", entry, "healthcheck"}
	for name, want := range map[string][]string{
		"redis":     {"CMD", "redis-cli", "ping"},
		"postgres":  {"CMD", "pg_isready", "-U", "jobs", "-d", "jobs"},
		"worker":    healthcheck,
		"scheduler": healthcheck,
		"admin":     healthcheck,
	} {
		hc := f.Services[name].Healthcheck
		if hc == nil || hc.Disable {
			t.Errorf("%s: no health check", name)
			continue
		}
		if diff := cmp.Diff(want, hc.Test); diff != "" {
			t.Errorf("%s health check (-want +got):\n%s", name, diff)
		}
	}
	for _, name := range []string{"migrate", "seed"} {
		if hc := f.Services[name].Healthcheck; hc == nil || !hc.Disable {
			t.Errorf("%s exits when done: disable the image's health check", name)
		}
		if r := f.Services[name].Restart; r != "no" {
			t.Errorf("%s: restart %q, want \"no\" for a one-shot", name, r)
		}
	}

	healthy, completed := "service_healthy", "service_completed_successfully"
	wantDeps := map[string]map[string]string{
		"migrate":    {"postgres": healthy},
		"seed":       {"migrate": completed},
		"worker":     {"redis": healthy, "postgres": healthy, "migrate": completed},
		"scheduler":  {"redis": healthy, "migrate": completed},
		"admin":      {"redis": healthy, "postgres": healthy, "migrate": completed},
		"prometheus": {"worker": healthy, "admin": healthy},
	}
	for name, s := range f.Services {
		got := map[string]string{}
		for dep, d := range s.DependsOn {
			got[dep] = d.Condition
		}
		want := wantDeps[name]
		if want == nil {
			want = map[string]string{}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s depends_on (-want +got):\n%s", name, diff)
		}
	}
}

// TestComposeEnvironmentMatchesTheCode: each service's environment holds
// only variables its command reads, and loads for that command as
// production.
func TestComposeEnvironmentMatchesTheCode(t *testing.T) {
	f := loadCompose(t)
	for name, command := range jobsRoles {
		s := f.Services[name]
		env := map[string]string{}
		var names []string
		for k, v := range s.Environment {
			names = append(names, k)
			if v == nil {
				continue // compose passes the host's value, if any
			}
			iv, err := interpolate(fmt.Sprint(v))
			if err != nil {
				t.Errorf("compose %s %s: %v", name, k, err)
			}
			env[k] = iv
		}
		where := "compose service " + name
		checkNames(t, where, command, names)
		checkLoads(t, where, env, command)
		grace, err := time.ParseDuration(s.StopGracePeriod)
		if err != nil {
			t.Errorf("%s: stop_grace_period %q: %v (compose's default, 10 s, is under SHUTDOWN_TIMEOUT)", name, s.StopGracePeriod, err)
			continue
		}
		if name != "migrate" && name != "seed" {
			checkStop(t, where, env, grace)
		}
	}
	if _, ok := f.Services["admin"].Environment["ADMIN_USERS"]; !ok {
		t.Error("admin: no ADMIN_USERS (jobs admin refuses to start in production without it)")
	}
	// The file links the worker emails point at PUBLIC_BASE_URL, which is
	// the admin's published port: admin must serve the same directory.
	w, a := f.Services["worker"].Environment, f.Services["admin"].Environment
	if w["STORAGE"] == "local" && (a["STORAGE"] != "local" || a["LOCAL_STORAGE_DIR"] != w["LOCAL_STORAGE_DIR"]) {
		t.Errorf("worker stores files locally in %v, admin serves %v from %v", w["LOCAL_STORAGE_DIR"], a["STORAGE"], a["LOCAL_STORAGE_DIR"])
	}
}

// TestInterpolate checks the compose interpolation the tests apply.
func TestInterpolate(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"dollar escape", "a$$2a$$12$$x", "a$2a$12$x"},
		{"default when unset", "${PROMETHEUS_URL:-}", ""},
		{"default value", "${VERSION:-compose}", "compose"},
		{"unset plain", "x${NOPE}y", "xy"},
		{"literal", "postgres://jobs:jobs@postgres:5432/jobs", "postgres://jobs:jobs@postgres:5432/jobs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := interpolate(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("interpolate(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
	if _, err := interpolate("${BROKEN"); err == nil {
		t.Error("an unclosed ${ is accepted")
	}
}

var composeVar = regexp.MustCompile(`\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\{`)

// interpolate applies compose's interpolation as if no variable were set
// in the shell, so the file's own defaults are what is tested: $$ is a
// literal $, ${X:-d} and ${X-d} give d, ${X} and $X give "".
func interpolate(s string) (string, error) {
	var err error
	out := composeVar.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case m == "$$":
			return "$"
		case m == "${":
			err = fmt.Errorf("unclosed ${ in %q", s)
			return m
		case strings.HasPrefix(m, "${"):
			expr := m[2 : len(m)-1]
			if i := strings.Index(expr, ":-"); i >= 0 {
				return expr[i+2:]
			}
			if i := strings.Index(expr, "-"); i >= 0 {
				return expr[i+1:]
			}
			return ""
		default:
			return ""
		}
	})
	return out, err
}
