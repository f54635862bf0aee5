package deploytest

import (
	"slices"
	"strings"
	"testing"

	"github.com/salonworks/jobs/internal/config"
)

// notConfig lists the variables a deploy file may set although
// internal/config does not declare them, each with the reason. Anything
// else that config.Describe does not know is drift: a misspelt name, or a
// variable the code stopped reading.
var notConfig = []struct {
	name   string // exact name, or a prefix ending in _
	reason string
	// pending marks a variable the code is about to read: the entry must go
	// once config declares it (TestAllowListIsCurrent says so).
	pending bool
}{
	{name: "AWS_", reason: "the AWS SDK's own chain (region, credentials) that SES and S3 use; ECS sets AWS_REGION"},
	{name: "GOMEMLIMIT", reason: "Go runtime: soft memory limit under the task's memory (deploy/cdk/lib/task.ts)"},
	{name: "GOMAXPROCS", reason: "Go runtime"},
	{name: "GODEBUG", reason: "Go runtime"},
}

// readByRuntime reports whether name is read outside internal/config, by
// the Go runtime or the AWS SDK.
func readByRuntime(name string) (string, bool) {
	for _, a := range notConfig {
		if name == a.name || strings.HasSuffix(a.name, "_") && strings.HasPrefix(name, a.name) {
			return a.reason, true
		}
	}
	return "", false
}

// described returns config.Describe by name.
func described() map[string]config.Var {
	vars := map[string]config.Var{}
	for _, v := range config.Describe() {
		vars[v.Name] = v
	}
	return vars
}

// checkNames fails for every name neither config nor the allow-list knows,
// and for every variable of config that command does not read: a service
// gets only its own variables and secrets.
func checkNames(t *testing.T, where, command string, names []string) {
	t.Helper()
	vars := described()
	for _, n := range names {
		if v, ok := vars[n]; ok {
			if !slices.Contains(v.Commands, command) {
				t.Errorf("%s sets %s, which jobs %s does not read (`jobs config`: used by %s)", where, n, command, strings.Join(v.Commands, ","))
			}
			continue
		}
		if _, ok := readByRuntime(n); ok {
			continue
		}
		t.Errorf("%s sets %s, which the code does not read: not in `jobs config` (config.Describe) nor in the allow-list of internal/deploytest", where, n)
	}
}

// TestAllowListIsCurrent keeps the allow-list honest: a pending variable
// that config now declares must leave it, and no entry may cover a
// variable config reads.
func TestAllowListIsCurrent(t *testing.T) {
	vars := described()
	for _, a := range notConfig {
		if a.reason == "" {
			t.Errorf("allow-list entry %s has no reason", a.name)
		}
		_, declared := vars[a.name]
		switch {
		case declared && a.pending:
			t.Errorf("%s is declared in internal/config now: remove it from notConfig in internal/deploytest/allow_test.go", a.name)
		case declared:
			t.Errorf("allow-list entry %s is a variable config reads: remove it", a.name)
		}
		if strings.HasSuffix(a.name, "_") {
			for n := range vars {
				if strings.HasPrefix(n, a.name) {
					t.Errorf("allow-list prefix %s also covers %s, which config reads", a.name, n)
				}
			}
		}
	}
}
