package deploytest

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/config"
)

// repoRoot is the repository's top directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func readRepoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkLoads runs the code's own validation over a container's
// environment, for the command it runs: every variable that command
// requires in that environment (config's rules, evaluated by LoadFor)
// must be there, and every value must be one LoadFor accepts. The
// environment must be production or staging: development defaults would
// hide a missing variable.
func checkLoads(t *testing.T, where string, env map[string]string, command string) *config.Config {
	t.Helper()
	switch env["APP_ENV"] {
	case config.EnvProduction, config.EnvStaging:
	default:
		t.Errorf("%s: APP_ENV=%q; deploy files run as production or staging", where, env["APP_ENV"])
		return nil
	}
	lookup := func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
	cfg, err := config.LoadFor(command, lookup)
	var cerr *config.Error
	switch {
	case errors.As(err, &cerr):
		for _, p := range cerr.Problems {
			t.Errorf("%s: %s", where, p)
		}
		return nil
	case err != nil:
		t.Errorf("%s: %v", where, err)
		return nil
	}
	return cfg
}

// checkStop fails unless stop leaves SHUTDOWN_TIMEOUT (env's, or its
// default) plus a few seconds to close connections before the process is
// killed.
func checkStop(t *testing.T, where string, env map[string]string, stop time.Duration) {
	t.Helper()
	raw := env["SHUTDOWN_TIMEOUT"]
	if raw == "" {
		raw = described()["SHUTDOWN_TIMEOUT"].Default
	}
	shutdown, err := time.ParseDuration(raw)
	if err != nil {
		t.Errorf("%s: SHUTDOWN_TIMEOUT %q: %v", where, raw, err)
		return
	}
	if stop < shutdown+5*time.Second {
		t.Errorf("%s: stops after %s, not above SHUTDOWN_TIMEOUT %s (+5 s to close): in-flight tasks would be killed", where, stop, shutdown)
	}
}

// placeholder stands for a value a deploy file takes from elsewhere (a
// secret, a CloudFormation attribute): one that config accepts for name,
// so that only the names and the literal values are under test.
func placeholder(name string) string {
	v := described()[name]
	switch {
	case name == "ADMIN_USERS":
		return "ops:admin:$2a$12$" + strings.Repeat("a", 53)
	case name == "DATABASE_URL":
		return "postgres://jobs:secret@placeholder:5432/jobs"
	case name == "REDIS_URL":
		return "rediss://:secret@placeholder:6379/0"
	case strings.HasSuffix(name, "_URL") || strings.HasSuffix(name, "_BASE"):
		return "https://placeholder.example.com"
	case v.Type == "int" && v.Default != "":
		return v.Default
	case v.Type == "int":
		return "1"
	case v.Type == "bool":
		return "true"
	case v.Type == "duration":
		return "1s"
	default:
		return "placeholder"
	}
}
