package text

import (
	"fmt"
	"time"
)

// QuietHours is the daily window, on the recipient's local wall clock, in
// which marketing and review SMS may go out; the rest of the day is quiet.
// Start and End are offsets from local midnight; an End before Start wraps
// past midnight (22:00-06:00), and Start equal to End leaves no quiet
// hours. Its fields match config.Window, so sms.QuietHours(cfg.SMSWindow())
// converts SMS_QUIET_HOURS.
type QuietHours struct {
	// Start is the first moment of the day at which sending may begin.
	Start time.Duration
	// End is the first moment after the window.
	End time.Duration
}

// DefaultQuietHours is SMS_QUIET_HOURS' default: send 08:00-21:00.
var DefaultQuietHours = QuietHours{Start: 8 * time.Hour, End: 21 * time.Hour}

// String returns the window as "HH:MM-HH:MM".
func (q QuietHours) String() string {
	clock := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return clock(q.Start) + "-" + clock(q.End)
}

// Allowed reports whether a message may go out at t, whose wall clock in
// loc (the salon's time zone; nil means UTC) is inside the window. It reads
// the clock as the recipient's phone shows it, so on a DST change day
// 08:00 is still 08:00.
func (q QuietHours) Allowed(t time.Time, loc *time.Location) bool {
	return q.contains(timeOfDay(t.In(orUTC(loc))))
}

// NextOpening returns the earliest instant at or after t at which Allowed
// is true, in loc: t itself inside the window, else normally the next
// local wall-clock Start. Days are counted on the wall clock, not as 24
// hours, so across a DST change the opening is still at Start local time.
// When Start does not exist on a day (it falls in a spring-forward gap),
// the window opens at the instant the clock jumps past it, provided the
// clock lands inside the window; when Start happens twice (fall back), the
// first time it is reached counts.
func (q QuietHours) NextOpening(t time.Time, loc *time.Location) time.Time {
	loc = orUTC(loc)
	cur := t.In(loc)
	// Within one zone period the wall clock moves with the instant, so the
	// next Start is a plain addition; at a period's end the offset changes
	// and the search restarts from that instant. A period is hours long at
	// the least, so a handful of turns always finds the opening.
	for range 16 {
		tod := timeOfDay(cur)
		if q.contains(tod) {
			return cur
		}
		wait := (q.Start - tod + 24*time.Hour) % (24 * time.Hour)
		next := cur.Add(wait)
		_, end := cur.ZoneBounds()
		if end.IsZero() || next.Before(end) {
			return next.In(loc)
		}
		cur = end.In(loc)
	}
	return cur
}

// contains reports whether a wall-clock time of day is inside the window.
func (q QuietHours) contains(tod time.Duration) bool {
	switch {
	case q.Start == q.End:
		return true
	case q.Start < q.End:
		return tod >= q.Start && tod < q.End
	default:
		return tod >= q.Start || tod < q.End
	}
}

// timeOfDay is t's wall clock as an offset from midnight.
func timeOfDay(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
