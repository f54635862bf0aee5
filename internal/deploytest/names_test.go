package deploytest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/internal/email/sesevents"
	"github.com/salonworks/jobs/internal/emf"
	"github.com/salonworks/jobs/queues"
)

// TestCDKNamesMatchTheCode compares deploy/cdk/lib/names.ts, which the CDK
// app builds its scaling policy and task definitions from, with the Go
// names it repeats: a renamed metric would leave the workers unscaled
// without any error anywhere.
func TestCDKNamesMatchTheCode(t *testing.T) {
	ts := string(readRepoFile(t, "deploy/cdk/lib/names.ts"))
	field := func(name string) string {
		t.Helper()
		m := regexp.MustCompile(`\b` + name + `: '([^']*)'`).FindStringSubmatch(ts)
		if m == nil {
			t.Fatalf("names.ts: no %s", name)
		}
		return m[1]
	}
	for ts, goName := range map[string]string{
		"namespace":            emf.DefaultNamespace,
		"pending":              emf.MetricPending,
		"latency":              emf.MetricLatency,
		"environmentDimension": emf.DimensionEnvironment,
		"queueDimension":       emf.DimensionQueue,
	} {
		if got := field(ts); got != goName {
			t.Errorf("names.ts Emf.%s = %q, internal/emf says %q", ts, got, goName)
		}
	}
	m := regexp.MustCompile(`QUEUES = \[([^\]]*)\]`).FindStringSubmatch(ts)
	if m == nil {
		t.Fatal("names.ts: no QUEUES")
	}
	var got []string
	for _, q := range strings.Split(m[1], ",") {
		got = append(got, strings.Trim(strings.TrimSpace(q), "'"))
	}
	if diff := cmp.Diff(queues.Names(), got); diff != "" {
		t.Errorf("names.ts QUEUES (-queues.Names +names.ts):\n%s", diff)
	}
	bin := regexp.MustCompile(`BINARY = '([^']*)'`).FindStringSubmatch(ts)
	if want := dockerfileEntrypoint(t); bin == nil || bin[1] != want {
		t.Errorf("names.ts BINARY = %q, the Dockerfile's ENTRYPOINT is %q", bin, want)
	}
	// SNS posts the SES events there: another path would make every
	// bounce a 404, and the subscription would never confirm.
	ses := regexp.MustCompile(`SES_EVENTS_PATH = '([^']*)'`).FindStringSubmatch(ts)
	if ses == nil || ses[1] != sesevents.Path {
		t.Errorf("names.ts SES_EVENTS_PATH = %q, internal/email/sesevents serves %q", ses, sesevents.Path)
	}
	main := string(readRepoFile(t, "cmd/jobs/main.go"))
	for _, role := range []string{"worker", "scheduler", "admin", "migrate"} {
		if field(role) != role {
			t.Errorf("names.ts Command.%s = %q", role, field(role))
		}
		if !strings.Contains(main, `{"`+role+`", `) {
			t.Errorf("names.ts runs jobs %s, which cmd/jobs/main.go does not list", role)
		}
	}
}
