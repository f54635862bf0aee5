package text

import (
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestQuietHoursNextOpening(t *testing.T) {
	t.Parallel()
	h := time.Hour
	day := DefaultQuietHours
	tests := []struct {
		name    string
		window  QuietHours
		zone    string
		at      string // RFC 3339, any offset
		allowed bool
		want    string // the opening, RFC 3339 in the zone
	}{
		{name: "UTC just before opening", window: day, zone: "UTC", at: "2026-06-15T07:59:59Z", want: "2026-06-15T08:00:00Z"},
		{name: "UTC at opening", window: day, zone: "UTC", at: "2026-06-15T08:00:00Z", allowed: true, want: "2026-06-15T08:00:00Z"},
		{name: "UTC last nanosecond", window: day, zone: "UTC", at: "2026-06-15T20:59:59.999999999Z", allowed: true, want: "2026-06-15T20:59:59.999999999Z"},
		{name: "UTC at closing waits for tomorrow", window: day, zone: "UTC", at: "2026-06-15T21:00:00Z", want: "2026-06-16T08:00:00Z"},
		{name: "UTC at midnight", window: day, zone: "UTC", at: "2026-06-16T00:00:00Z", want: "2026-06-16T08:00:00Z"},
		{name: "nil location is UTC", window: day, zone: "", at: "2026-06-15T05:00:00Z", want: "2026-06-15T08:00:00Z"},

		// One instant, 2026-06-15 13:30 UTC, seen from four salons.
		{name: "New York morning is open", window: day, zone: "America/New_York", at: "2026-06-15T13:30:00Z", allowed: true, want: "2026-06-15T09:30:00-04:00"},
		{name: "London afternoon is open", window: day, zone: "Europe/London", at: "2026-06-15T13:30:00Z", allowed: true, want: "2026-06-15T14:30:00+01:00"},
		{name: "Los Angeles dawn waits", window: day, zone: "America/Los_Angeles", at: "2026-06-15T13:30:00Z", want: "2026-06-15T08:00:00-07:00"},
		{name: "Sydney night waits for its morning", window: day, zone: "Australia/Sydney", at: "2026-06-15T13:30:00Z", want: "2026-06-16T08:00:00+10:00"},
		{name: "Kolkata half-hour offset", window: day, zone: "Asia/Kolkata", at: "2026-06-15T15:45:00Z", want: "2026-06-16T08:00:00+05:30"},

		// DST: the opening stays at 08:00 on the wall clock, not 24 h later.
		{name: "New York spring forward night", window: day, zone: "America/New_York", at: "2026-03-07T22:00:00-05:00", want: "2026-03-08T08:00:00-04:00"},
		{name: "New York spring forward day, 07:59 EDT", window: day, zone: "America/New_York", at: "2026-03-08T07:59:00-04:00", want: "2026-03-08T08:00:00-04:00"},
		{name: "New York fall back night", window: day, zone: "America/New_York", at: "2026-10-31T22:00:00-04:00", want: "2026-11-01T08:00:00-05:00"},
		{name: "New York fall back, repeated 01:30", window: day, zone: "America/New_York", at: "2026-11-01T01:30:00-05:00", want: "2026-11-01T08:00:00-05:00"},
		{name: "London spring forward night", window: day, zone: "Europe/London", at: "2026-03-28T21:30:00Z", want: "2026-03-29T08:00:00+01:00"},
		{name: "London fall back night", window: day, zone: "Europe/London", at: "2026-10-24T23:00:00+01:00", want: "2026-10-25T08:00:00Z"},
		{name: "Sydney DST ends", window: day, zone: "Australia/Sydney", at: "2026-04-04T21:30:00+11:00", want: "2026-04-05T08:00:00+10:00"},
		{name: "Sydney DST starts", window: day, zone: "Australia/Sydney", at: "2026-10-03T22:00:00+10:00", want: "2026-10-04T08:00:00+11:00"},

		// A Start inside the spring-forward gap (02:00-03:00 in New York).
		{name: "start in gap opens when the clock jumps", window: QuietHours{Start: 2*h + 30*time.Minute, End: 6 * h}, zone: "America/New_York",
			at: "2026-03-08T01:00:00-05:00", want: "2026-03-08T03:00:00-04:00"},
		{name: "window wholly in gap opens next day", window: QuietHours{Start: 2 * h, End: 2*h + 30*time.Minute}, zone: "America/New_York",
			at: "2026-03-08T01:00:00-05:00", want: "2026-03-09T02:00:00-04:00"},
		// A Start that happens twice (01:00-02:00 repeats in New York).
		{name: "repeated start: first occurrence", window: QuietHours{Start: h + 30*time.Minute, End: 6 * h}, zone: "America/New_York",
			at: "2026-11-01T00:00:00-04:00", want: "2026-11-01T01:30:00-04:00"},
		{name: "repeated start: open in the first hour", window: QuietHours{Start: h + 30*time.Minute, End: 6 * h}, zone: "America/New_York",
			at: "2026-11-01T01:45:00-04:00", allowed: true, want: "2026-11-01T01:45:00-04:00"},
		{name: "repeated start: second occurrence after the clock goes back", window: QuietHours{Start: h + 30*time.Minute, End: 6 * h}, zone: "America/New_York",
			at: "2026-11-01T01:10:00-05:00", want: "2026-11-01T01:30:00-05:00"},

		{name: "wrapping window, afternoon waits for evening", window: QuietHours{Start: 22 * h, End: 6 * h}, zone: "UTC", at: "2026-06-15T12:00:00Z", want: "2026-06-15T22:00:00Z"},
		{name: "wrapping window open after midnight", window: QuietHours{Start: 22 * h, End: 6 * h}, zone: "UTC", at: "2026-06-15T05:59:00Z", allowed: true, want: "2026-06-15T05:59:00Z"},
		{name: "wrapping window closed at its end", window: QuietHours{Start: 22 * h, End: 6 * h}, zone: "UTC", at: "2026-06-15T06:00:00Z", want: "2026-06-15T22:00:00Z"},
		{name: "window to 24:00", window: QuietHours{Start: 8 * h, End: 24 * h}, zone: "UTC", at: "2026-06-15T23:59:00Z", allowed: true, want: "2026-06-15T23:59:00Z"},
		{name: "no quiet hours", window: QuietHours{Start: 8 * h, End: 8 * h}, zone: "UTC", at: "2026-06-15T03:00:00Z", allowed: true, want: "2026-06-15T03:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var loc *time.Location
			if tt.zone != "" {
				loc = mustZone(t, tt.zone)
			}
			at := utc(tt.at)
			if got := tt.window.Allowed(at, loc); got != tt.allowed {
				t.Errorf("Allowed(%s) = %v, want %v", tt.at, got, tt.allowed)
			}
			got := tt.window.NextOpening(at, loc)
			if want := utc(tt.want); !got.Equal(want) {
				t.Errorf("NextOpening(%s) = %s, want %s", tt.at, got.Format(time.RFC3339Nano), tt.want)
			}
			if !tt.window.Allowed(got, loc) {
				t.Errorf("Allowed(NextOpening(%s)) = false", tt.at)
			}
		})
	}
}

// TestQuietHoursNextOpeningIsTheFirst walks a year in four zones and checks
// that the opening is allowed and that no minute before it is.
func TestQuietHoursNextOpeningIsTheFirst(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"America/New_York", "Europe/London", "Australia/Sydney", "Australia/Lord_Howe"} {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			loc := mustZone(t, zone)
			q := DefaultQuietHours
			for at := utc("2026-01-01T00:07:00Z"); at.Year() == 2026; at = at.Add(5*time.Hour + 13*time.Minute) {
				next := q.NextOpening(at, loc)
				if next.Before(at) || !q.Allowed(next, loc) {
					t.Fatalf("NextOpening(%s) = %s: before it or not allowed", at, next)
				}
				if next.Equal(at) {
					continue
				}
				if h, m, s := next.Clock(); h != 8 || m != 0 || s != 0 {
					t.Fatalf("NextOpening(%s) = %s, want 08:00:00 local", at, next)
				}
				for m := at; m.Before(next); m = m.Add(time.Minute) {
					if q.Allowed(m, loc) {
						t.Fatalf("NextOpening(%s) = %s, but %s is allowed", at, next, m)
					}
				}
			}
		})
	}
}
