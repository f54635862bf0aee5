package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestSchedulesGolden prints the schedule for a fixed clock just before
// the daylight-saving changes and compares it with the golden file: the
// repeated 01:30 fires once, the hourly entry fires through both 01:00s,
// the nonexistent 02:30 in Sydney is skipped.
func TestSchedulesGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, now, golden string
	}{
		{"fall back in New York", "2026-11-01T03:30:00Z", "schedules-fall-back.golden"},
		{"spring forward in Sydney", "2026-10-02T12:00:00Z", "schedules-spring-forward.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runBin(t, nil, "schedules", "--file", "testdata/dst-schedule.yaml", "--now", tt.now)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/jobs -run SchedulesGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), stdout); diff != "" {
				t.Errorf("jobs schedules output differs from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

func TestSchedulesRefusesBadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte(`{entries: [{name: x, cron: "* * *", kind: sms:dispatch_reviews}, {name: y, cron: "@hourly", kind: sms:nope}]}`), 0o600)
	code, _, stderr := runBin(t, map[string]string{"SCHEDULE_FILE": path}, "schedules")
	if code != 1 || !contains(stderr, `entry "x": cron "* * *"`, `entry "y": unknown kind "sms:nope"`) {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
	// The scheduler itself stops at start on the same file.
	code, _, stderr = runBin(t, map[string]string{"APP_ENV": "test", "SCHEDULE_FILE": path}, "scheduler")
	if code != 1 || !contains(stderr, `entry "x"`, `entry "y"`) {
		t.Errorf("scheduler: exit %d, stderr %s", code, stderr)
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
