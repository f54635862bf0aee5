package scheduler

import (
	"strings"
	"testing"
	"time"
)

func TestParseFile(t *testing.T) {
	t.Run("extends and overrides the defaults", func(t *testing.T) {
		entries, err := Parse([]byte(`
entries:
  - name: review-sms
    cron: "*/5 * * * *"
    timezone: America/New_York
    kind: sms:dispatch_reviews
    grace: 10m
  - name: nightly-export-call
    cron: "@daily"
    kind: sync:api_call
    payload: {method: POST, path: /salons/reset-queue}
    enabled: false
`))
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]Entry{}
		for _, e := range entries {
			byName[e.Name] = e
		}
		if len(entries) != len(Defaults())+1 {
			t.Errorf("got %d entries, want the %d defaults plus one", len(entries), len(Defaults()))
		}
		r := byName["review-sms"]
		if r.Cron != "*/5 * * * *" || r.Timezone != "America/New_York" || r.Grace != 10*time.Minute {
			t.Errorf("review-sms not overridden: %+v", r)
		}
		c := byName["nightly-export-call"]
		if c.Enabled || string(c.Payload) != `{"method":"POST","path":"/salons/reset-queue"}` {
			t.Errorf("nightly-export-call = enabled %v payload %s", c.Enabled, c.Payload)
		}
	})
	t.Run("replace_defaults keeps only the file's entries", func(t *testing.T) {
		entries, err := Parse([]byte("replace_defaults: true\nentries:\n  - {name: only, cron: '@hourly', kind: sms:dispatch_campaigns}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name != "only" || !entries[0].Enabled || entries[0].Timezone != "UTC" {
			t.Errorf("entries = %+v", entries)
		}
	})
	t.Run("empty file means the defaults", func(t *testing.T) {
		entries, err := Parse(nil)
		if err != nil || len(entries) != len(Defaults()) {
			t.Errorf("entries %d, err %v", len(entries), err)
		}
	})
}

func TestParseFileRefusesBadEntries(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad cron", `{entries: [{name: a, cron: "61 * * * *", kind: sms:dispatch_reviews}]}`, `entry "a": cron "61 * * * *"`},
		{"unknown kind", `{entries: [{name: b, cron: "@hourly", kind: sms:blast}]}`, `entry "b": unknown kind "sms:blast"`},
		{"payload fails validation", `{entries: [{name: c, cron: "@hourly", kind: sync:daily_stats, payload: {date: yesterday}}]}`, `entry "c": invalid sync:daily_stats payload: date`},
		{"unknown payload field", `{entries: [{name: c2, cron: "@hourly", kind: upload:process, payload: {id: 1}}]}`, `entry "c2"`},
		{"unknown time zone", `{entries: [{name: d, cron: "@hourly", timezone: Mars/Olympus, kind: sms:dispatch_reviews}]}`, `entry "d": timezone "Mars/Olympus" is not an IANA time zone`},
		{"duplicate name", `{entries: [{name: e, cron: "@hourly", kind: sms:dispatch_reviews}, {name: e, cron: "@daily", kind: sms:dispatch_reviews}]}`, `entry "e": duplicate name (also entry 1)`},
		{"bad grace", `{entries: [{name: f, cron: "@hourly", kind: sms:dispatch_reviews, grace: soon}]}`, `entry "f": grace "soon" is not a duration`},
		{"missing name", `{entries: [{cron: "@hourly", kind: sms:dispatch_reviews}]}`, `entry 1: name is required`},
		{"unknown field", `{entries: [{name: g, cron: "@hourly", kind: sms:dispatch_reviews, timezon: UTC}]}`, `field timezon not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted, want an error mentioning %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to mention %q", err, tt.want)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		_, err := Parse([]byte(`{entries: [{name: a, cron: "61 * * * *", kind: sms:dispatch_reviews}, {name: b, cron: "@hourly", kind: sms:blast}]}`))
		if err == nil || !strings.Contains(err.Error(), `entry "a"`) || !strings.Contains(err.Error(), `entry "b"`) {
			t.Errorf("error %v does not name both entries", err)
		}
	})
}

func TestTaskIDIsDerivedFromEntryAndTick(t *testing.T) {
	entries, err := Compile(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	e := entries[1]
	tick := time.Date(2026, 11, 22, 10, 1, 0, 0, time.UTC)
	if got, want := e.TaskID(tick), "schedule:review-sms:1795341660"; got != want {
		t.Errorf("TaskID = %q, want %q", got, want)
	}
	if e.TaskID(tick) == e.TaskID(tick.Add(time.Minute)) {
		t.Error("two ticks share a task ID")
	}
}

func TestExampleScheduleFileIsValid(t *testing.T) {
	entries, err := Load("../deploy/schedule.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(Defaults())+1 {
		t.Errorf("example file gives %d entries, want the defaults plus one", len(entries))
	}
}
