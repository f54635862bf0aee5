package scheduler

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule says when an entry fires.
type Schedule interface {
	// Next returns the first tick strictly after t.
	Next(t time.Time) time.Time
}

// parser reads standard five-field cron expressions and the descriptors
// (@hourly, @daily, @every 30s, …). robfig/cron parses; the next-tick
// arithmetic is ours, for exact daylight-saving behaviour.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses spec for the zone loc.
func ParseSchedule(spec string, loc *time.Location) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("put the time zone in the timezone field, not in the cron expression")
	}
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("@every: %v", err)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, fmt.Errorf("@every needs whole seconds, at least 1s (got %s)", d)
		}
		return every{d: d}, nil
	}
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, err
	}
	switch s := s.(type) {
	case *cron.SpecSchedule:
		return &wallClock{spec: s, loc: loc, fixedHour: s.Hour&allHours != allHours}, nil
	default:
		return nil, fmt.Errorf("unsupported schedule %T", s)
	}
}

// every fires on the multiples of d counted from Go's zero time (what
// time.Truncate rounds to), so every process computes the same ticks
// whenever it started.
type every struct{ d time.Duration }

func (e every) Next(t time.Time) time.Time {
	return t.Truncate(e.d).Add(e.d)
}

const allHours = 1<<24 - 1

// wallClock is a cron expression evaluated in a time zone. Daylight-saving
// rules: a local time that does not exist (spring forward) is skipped; a
// local time that happens twice (fall back) fires once, at its first
// occurrence, when the expression names its hours; an expression for every
// hour ("* * * * *", "*/15 * * * *") fires by the clock through both passes
// of the repeated hour, as it would with no change at all.
type wallClock struct {
	spec      *cron.SpecSchedule
	loc       *time.Location
	fixedHour bool
}

// searchLimit bounds the search for expressions that rarely match, like
// "0 0 29 2 *"; one that never matches (31 February) returns the zero time.
const searchLimit = 5 * 366 * 24 * time.Hour

func (w *wallClock) Next(t time.Time) time.Time {
	u := t.Truncate(time.Minute).Add(time.Minute)
	end := t.Add(searchLimit)
	for u.Before(end) {
		local := u.In(w.loc)
		if !w.dayMatches(local) {
			// Jump to the next local midnight (or the first instant of
			// the next day, where midnight does not exist).
			y, m, d := local.Date()
			next := time.Date(y, m, d+1, 0, 0, 0, 0, w.loc)
			if !next.After(u) {
				next = u.Add(time.Minute)
			}
			u = next.Truncate(time.Minute)
			continue
		}
		if w.spec.Hour&(1<<uint(local.Hour())) == 0 {
			// On to the next local hour boundary.
			u = u.Add(time.Duration(60-local.Minute()) * time.Minute)
			continue
		}
		if w.spec.Minute&(1<<uint(local.Minute())) != 0 && w.firstOccurrence(local, u) {
			return u
		}
		u = u.Add(time.Minute)
	}
	return time.Time{}
}

// firstOccurrence reports whether instant u is the one a wall-clock
// schedule fires at for its local time: always for expressions over every
// hour; for fixed hours, only the first of two instants sharing a local time.
func (w *wallClock) firstOccurrence(local, u time.Time) bool {
	if !w.fixedHour {
		return true
	}
	// A repetition is an instant whose local date and time an earlier
	// instant, a daylight-saving shift (30 min, 1 h or 2 h) before, had too.
	for _, off := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		if earlier := u.Add(-off).In(w.loc); earlier.Hour() == local.Hour() && earlier.Minute() == local.Minute() && earlier.Day() == local.Day() {
			return false
		}
	}
	return true
}

// dayMatches applies cron's day rule: when day-of-month or day-of-week is
// "*", both must match; otherwise either may.
func (w *wallClock) dayMatches(local time.Time) bool {
	s := w.spec
	if s.Month&(1<<uint(local.Month())) == 0 {
		return false
	}
	domMatch := s.Dom&(1<<uint(local.Day())) != 0
	dowMatch := s.Dow&(1<<uint(local.Weekday())) != 0
	const star = 1 << 63
	if s.Dom&star != 0 || s.Dow&star != 0 {
		return domMatch && dowMatch
	}
	return domMatch || dowMatch
}
