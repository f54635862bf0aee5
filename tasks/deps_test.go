package tasks

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDependenciesStayLight keeps tasks/ importable by any Go service: no
// provider SDK or database driver may enter its dependency graph, and the
// producer packages must not pull in the schema generator either.
func TestDependenciesStayLight(t *testing.T) {
	t.Parallel()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	producers := []string{"./tasks", "./tasks/email", "./tasks/sms", "./tasks/upload", "./tasks/report", "./tasks/salon", "./tasks/sync"}
	tests := []struct {
		name      string
		patterns  []string
		forbidden []string
	}{
		{name: "every tasks package", patterns: []string{"./tasks/..."}, forbidden: []string{"twilio", "aws", "jackc/pgx"}},
		// The OpenTelemetry API (tasks.WithTraceContext) is allowed, its
		// SDK and exporters are the producer's choice.
		{name: "producer packages", patterns: producers, forbidden: []string{"twilio", "aws", "jackc/pgx", "invopop", "go-cmp", "prometheus",
			"go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters", "google.golang.org/grpc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("go", append([]string{"list", "-deps"}, tt.patterns...)...)
			cmd.Dir = root
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", strings.Join(tt.patterns, " "), err, stderr.String())
			}
			deps := strings.Fields(string(out))
			if !strings.Contains(string(out), "github.com/salonworks/jobs/tasks") {
				t.Fatalf("go list -deps listed no tasks package:\n%s", out)
			}
			for _, dep := range deps {
				for _, bad := range tt.forbidden {
					if strings.Contains(dep, bad) {
						t.Errorf("%s depends on %s (matches %q)", strings.Join(tt.patterns, " "), dep, bad)
					}
				}
			}
		})
	}
}
