package deploytest

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// workflow is the part of .github/workflows/deploy.yml the tests read.
type workflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]struct {
		Steps []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflow(t *testing.T) workflow {
	t.Helper()
	var w workflow
	if err := yaml.Unmarshal(readRepoFile(t, ".github/workflows/deploy.yml"), &w); err != nil {
		t.Fatalf("deploy.yml: %v", err)
	}
	if len(w.Jobs) != 1 {
		t.Fatalf("deploy.yml: %d jobs, want one", len(w.Jobs))
	}
	return w
}

// workflowPlatforms returns the platforms CI builds the image for.
func workflowPlatforms(t *testing.T) []string {
	t.Helper()
	p := strings.Split(loadWorkflow(t).Env["PLATFORMS"], ",")
	slices.Sort(p)
	return p
}

func TestWorkflowBuildsBothArchitectures(t *testing.T) {
	if got := strings.Join(workflowPlatforms(t), ","); got != "linux/amd64,linux/arm64" {
		t.Errorf("PLATFORMS = %s, want linux/amd64,linux/arm64", got)
	}
	// The architecture cdk.json deploys must be among them even before
	// anything is synthesized.
	var cdkJSON struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(readRepoFile(t, "deploy/cdk/cdk.json"), &cdkJSON); err != nil {
		t.Fatal(err)
	}
	arch, _ := cdkJSON.Context["cpuArchitecture"].(string)
	want := map[string]string{"ARM64": "linux/arm64", "X86_64": "linux/amd64"}[arch]
	if want == "" || !slices.Contains(workflowPlatforms(t), want) {
		t.Errorf("cdk.json cpuArchitecture %q is not built by the workflow", arch)
	}
}

func TestWorkflowMigratesBeforeItRolls(t *testing.T) {
	w := loadWorkflow(t)
	if w.Permissions["id-token"] != "write" {
		t.Error("permissions: id-token: write is needed for OIDC to AWS")
	}
	var uses []string
	var script strings.Builder
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			if s.Uses != "" {
				uses = append(uses, strings.SplitN(s.Uses, "@", 2)[0])
			}
			if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") && s.With["role-to-assume"] == "" {
				t.Error("configure-aws-credentials without role-to-assume: use the OIDC role, not keys")
			}
			script.WriteString(s.Run)
			script.WriteString("\n")
		}
	}
	for _, a := range []string{
		"actions/checkout", "aws-actions/configure-aws-credentials", "aws-actions/amazon-ecr-login",
		"docker/setup-qemu-action", "docker/setup-buildx-action",
	} {
		if !slices.Contains(uses, a) {
			t.Errorf("no step uses %s", a)
		}
	}
	run := script.String()
	// Each must come after the one before it.
	order := []string{
		`docker buildx build`,
		`--platform "$PLATFORMS"`,
		`--push`,
		`imagetools create --tag "$IMAGE:$MIGRATE_TAG"`,
		`aws ecs run-task`,
		`--task-definition "$MIGRATE_FAMILY"`,
		`subnets=[$SUBNETS],securityGroups=[$MIGRATE_SG]`,
		`aws ecs wait tasks-stopped`,
		`exitCode`,
		`if [ "$exit_code" != 0 ]; then`,
		`imagetools create --tag "$IMAGE:$IMAGE_TAG"`,
		`"$WORKER_SERVICE" "$SCHEDULER_SERVICE" "$ADMIN_SERVICE"`,
		`aws ecs update-service`,
		`--force-new-deployment`,
		`aws ecs wait services-stable`,
		`rolloutState`,
	}
	at := 0
	for _, s := range order {
		i := strings.Index(run[at:], s)
		if i < 0 {
			t.Errorf("deploy.yml: %q missing, or not after %q", s, run[:at][max(0, at-40):])
			continue
		}
		at += i + len(s)
	}
}

// TestWorkflowReadsOutputsTheStackHas: the names the workflow reads from
// the stack's outputs exist in the synthesized template.
func TestWorkflowReadsOutputsTheStackHas(t *testing.T) {
	path := os.Getenv(templateEnv)
	if path == "" {
		t.Skipf("%s is not set: bash deploy/cdk/test.sh runs this test", templateEnv)
	}
	var tmpl struct {
		Outputs map[string]any `json:"Outputs"`
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	text := string(readRepoFile(t, ".github/workflows/deploy.yml"))
	read := regexp.MustCompile(`\b[A-Z_]+=([A-Z][A-Za-z]+)\b`).FindAllStringSubmatch(text, -1)
	if len(read) < 10 {
		t.Fatalf("found %d output names in deploy.yml, want the stack's outputs", len(read))
	}
	for _, m := range read {
		if _, ok := tmpl.Outputs[m[1]]; !ok {
			t.Errorf("deploy.yml reads stack output %s, which the stack does not have", m[1])
		}
	}
}
