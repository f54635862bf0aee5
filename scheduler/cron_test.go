package scheduler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// nexts returns n successive ticks after from, in UTC RFC 3339.
func nexts(t *testing.T, spec string, loc *time.Location, from time.Time, n int) []string {
	t.Helper()
	s, err := ParseSchedule(spec, loc)
	if err != nil {
		t.Fatalf("parse %q: %v", spec, err)
	}
	var out []string
	for range n {
		from = s.Next(from)
		out = append(out, from.UTC().Format(time.RFC3339))
	}
	return out
}

func TestScheduleNext(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	syd := mustLoc(t, "Australia/Sydney")
	tests := []struct {
		name string
		spec string
		loc  *time.Location
		from time.Time
		want []string
	}{
		{"every minute", "* * * * *", time.UTC, time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC),
			[]string{"2026-11-22T10:01:00Z", "2026-11-22T10:02:00Z"}},
		{"strictly after", "*/30 * * * *", time.UTC, time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC),
			[]string{"2026-11-22T11:00:00Z", "2026-11-22T11:30:00Z"}},
		{"daily 08:00 UTC", "0 8 * * *", time.UTC, time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC),
			[]string{"2026-11-23T08:00:00Z", "2026-11-24T08:00:00Z"}},
		{"08:00 New York follows the offset", "0 8 * * *", ny, time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
			[]string{"2026-10-31T12:00:00Z", "2026-11-01T13:00:00Z", "2026-11-02T13:00:00Z"}},
		{"nonexistent 02:30 on spring forward is skipped", "30 2 * * *", ny, time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC),
			[]string{"2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"}},
		{"repeated 01:30 on fall back fires once", "30 1 * * *", ny, time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC),
			[]string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{"hourly fires through both passes of the repeated hour", "0 * * * *", ny, time.Date(2026, 11, 1, 4, 30, 0, 0, time.UTC),
			[]string{"2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"}},
		{"fixed hours 1 and 2 on fall back: 01:00 once", "0 1,2 * * *", ny, time.Date(2026, 11, 1, 4, 30, 0, 0, time.UTC),
			[]string{"2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-02T06:00:00Z"}},
		{"sydney spring forward skips 02:30", "30 2 * * *", syd, time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC),
			[]string{"2026-10-04T15:30:00Z", "2026-10-05T15:30:00Z"}}, // 5 and 6 Oct local; 4 Oct has no 02:30
		{"day of week", "0 9 * * MON", time.UTC, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
			[]string{"2026-11-23T09:00:00Z", "2026-11-30T09:00:00Z"}},
		{"dom or dow when both given", "0 0 1 * SUN", time.UTC, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
			[]string{"2026-11-29T00:00:00Z", "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"}},
		{"@daily", "@daily", time.UTC, time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC),
			[]string{"2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z"}},
		{"@every aligned to the epoch", "@every 30s", time.UTC, time.Date(2026, 11, 22, 5, 0, 7, 0, time.UTC),
			[]string{"2026-11-22T05:00:30Z", "2026-11-22T05:01:00Z"}},
		{"leap day", "0 0 29 2 *", time.UTC, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
			[]string{"2028-02-29T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nexts(t, tt.spec, tt.loc, tt.from, len(tt.want))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("next ticks of %q (-want +got):\n%s", tt.spec, diff)
			}
		})
	}
}

func TestEveryMinuteAcrossFallBackFiresEveryRealMinute(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	s, err := ParseSchedule("* * * * *", ny)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC) // 00:00 EDT
	n := 0
	for tick := s.Next(from); tick.Before(from.Add(3 * time.Hour)); tick = s.Next(tick) {
		n++
	}
	if n != 180-1 {
		t.Errorf("ticks in the 3 real hours across fall back = %d, want 179 (one a minute)", n)
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, spec := range []string{"61 * * * *", "* * *", "@every 500ms", "CRON_TZ=UTC * * * * *", "@fortnightly"} {
		if _, err := ParseSchedule(spec, time.UTC); err == nil {
			t.Errorf("ParseSchedule(%q) succeeded, want an error", spec)
		}
	}
}
