package deploytest

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// templateEnv names the synthesized CloudFormation template of the CDK app;
// deploy/cdk/test.sh sets it after synthesizing.
const templateEnv = "JOBS_CDK_TEMPLATE"

// cfnContainer is one container definition of an AWS::ECS::TaskDefinition.
type cfnContainer struct {
	Name        string   `json:"Name"`
	Command     []string `json:"Command"`
	Environment []struct {
		Name  string `json:"Name"`
		Value any    `json:"Value"`
	} `json:"Environment"`
	Secrets []struct {
		Name      string `json:"Name"`
		ValueFrom any    `json:"ValueFrom"`
	} `json:"Secrets"`
	StopTimeout int `json:"StopTimeout"`
	HealthCheck *struct {
		Command []string `json:"Command"`
	} `json:"HealthCheck"`
}

type cfnTaskDefinition struct {
	ContainerDefinitions []cfnContainer `json:"ContainerDefinitions"`
	RuntimePlatform      struct {
		CPUArchitecture string `json:"CpuArchitecture"`
	} `json:"RuntimePlatform"`
}

// cdkTasks reads the task definitions of the synthesized template, or
// skips the test when it runs outside deploy/cdk/test.sh.
func cdkTasks(t *testing.T) map[string]cfnTaskDefinition {
	t.Helper()
	path := os.Getenv(templateEnv)
	if path == "" {
		t.Skipf("%s is not set: bash deploy/cdk/test.sh synthesizes the CDK app and runs this test against it", templateEnv)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", templateEnv, err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type       string          `json:"Type"`
			Properties json.RawMessage `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tasks := map[string]cfnTaskDefinition{}
	for id, r := range tmpl.Resources {
		if r.Type != "AWS::ECS::TaskDefinition" {
			continue
		}
		var td cfnTaskDefinition
		if err := json.Unmarshal(r.Properties, &td); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if len(td.ContainerDefinitions) != 1 {
			t.Fatalf("%s: %d containers, want 1", id, len(td.ContainerDefinitions))
		}
		tasks[td.ContainerDefinitions[0].Name] = td
	}
	return tasks
}

// TestCDKTaskDefinitionsMatchTheCode: every container's environment and
// secrets, with the values CloudFormation fills in replaced by
// placeholders, pass config.LoadFor its command as production; every name
// is one that command reads; secrets never sit in plain environment;
// stopTimeout is above SHUTDOWN_TIMEOUT; the admin takes the Twilio
// webhooks when the worker sends through Twilio.
func TestCDKTaskDefinitionsMatchTheCode(t *testing.T) {
	tasks := cdkTasks(t)
	var names []string
	for n := range tasks {
		names = append(names, n)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"admin", "migrate", "scheduler", "worker"}, names); diff != "" {
		t.Fatalf("task definitions by container (-want +got):\n%s", diff)
	}
	vars := described()
	for _, name := range names {
		c := tasks[name].ContainerDefinitions[0]
		where := "CDK task " + name
		if diff := cmp.Diff([]string{name}, c.Command); diff != "" {
			t.Errorf("%s command (-want +got):\n%s", where, diff)
		}
		env := map[string]string{}
		var set []string
		for _, e := range c.Environment {
			set = append(set, e.Name)
			if v, ok := e.Value.(string); ok {
				env[e.Name] = v
			} else {
				env[e.Name] = placeholder(e.Name) // a CloudFormation attribute or reference
			}
			if vars[e.Name].Secret {
				t.Errorf("%s: %s is a secret (`jobs config` says so) in plain environment; take it from Secrets Manager or SSM", where, e.Name)
			}
		}
		for _, s := range c.Secrets {
			set = append(set, s.Name)
			if _, dup := env[s.Name]; dup {
				t.Errorf("%s: %s is both environment and secret", where, s.Name)
			}
			env[s.Name] = placeholder(s.Name)
		}
		checkNames(t, where, name, set)
		checkLoads(t, where, env, name)
		checkStop(t, where, env, time.Duration(c.StopTimeout)*time.Second)
		if c.StopTimeout > 120 {
			t.Errorf("%s: stopTimeout %d is over Fargate's 120 s", where, c.StopTimeout)
		}
	}
	smsProvider := func(name string) string {
		for _, e := range tasks[name].ContainerDefinitions[0].Environment {
			if e.Name == "SMS_PROVIDER" {
				v, _ := e.Value.(string)
				return v
			}
		}
		return ""
	}
	if smsProvider("worker") == "twilio" && smsProvider("admin") != "twilio" {
		t.Error("CDK task admin: the worker sends through Twilio but admin does not serve its webhooks (SMS_PROVIDER=twilio)")
	}
	for _, name := range []string{"worker", "scheduler", "admin"} {
		hc := tasks[name].ContainerDefinitions[0].HealthCheck
		want := []string{"CMD", dockerfileEntrypoint(t), "healthcheck"}
		if hc == nil || !slices.Equal(hc.Command, want) {
			t.Errorf("CDK task %s: health check is not %v", name, want)
		}
	}
}

// TestCDKArchitectureIsBuilt: every task's CPU architecture is among the
// platforms CI builds, so no task starts on an image it cannot run (the
// seeds' pipeline built amd64 only and ran ARM64 tasks).
func TestCDKArchitectureIsBuilt(t *testing.T) {
	tasks := cdkTasks(t)
	platforms := workflowPlatforms(t)
	for name, td := range tasks {
		arch := td.RuntimePlatform.CPUArchitecture
		p, ok := map[string]string{"ARM64": "linux/arm64", "X86_64": "linux/amd64"}[arch]
		if !ok {
			t.Errorf("CDK task %s: runtime platform %q is not ARM64 or X86_64", name, arch)
			continue
		}
		if !slices.Contains(platforms, p) {
			t.Errorf("CDK task %s runs on %s; CI builds %s only", name, arch, strings.Join(platforms, ","))
		}
	}
}
