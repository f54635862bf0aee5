package config

import (
	"fmt"
	"time"
)

// Window is a daily span of local time, such as SMS_QUIET_HOURS' 08:00-21:00:
// the hours in which marketing and review SMS may go out (the quiet hours
// are the rest of the day). Start and End are offsets from midnight; an End
// before Start wraps past midnight.
type Window struct {
	// Start is the first moment inside the window.
	Start time.Duration
	// End is the first moment after it.
	End time.Duration
}

// ParseWindow parses "HH:MM-HH:MM". 24:00 is allowed as the end.
func ParseWindow(s string) (Window, error) {
	bad := fmt.Errorf("%q is not HH:MM-HH:MM (like 08:00-21:00)", s)
	if len(s) != 11 || s[5] != '-' {
		return Window{}, bad
	}
	start, ok1 := parseClock(s[:5], false)
	end, ok2 := parseClock(s[6:], true)
	if !ok1 || !ok2 {
		return Window{}, bad
	}
	if start == end || start == 0 && end == 24*time.Hour {
		return Window{}, fmt.Errorf("%q leaves no quiet hours; a window must start and end at different times of day", s)
	}
	return Window{Start: start, End: end}, nil
}

// parseClock parses "HH:MM"; "24:00" only when allow24.
func parseClock(s string, allow24 bool) (time.Duration, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || h == 24 && (!allow24 || m != 0) {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// Contains reports whether t, read on its own location's clock, falls in
// the window.
func (w Window) Contains(t time.Time) bool {
	h, m, s := t.Clock()
	at := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
	if w.Start < w.End {
		return at >= w.Start && at < w.End
	}
	return at >= w.Start || at < w.End
}

// String returns the window as "HH:MM-HH:MM".
func (w Window) String() string {
	clock := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return clock(w.Start) + "-" + clock(w.End)
}

// SMSWindow returns SMS_QUIET_HOURS parsed: when marketing and review SMS
// may go out. Load has validated it; a hand-built Config with an invalid
// value gets the default, 08:00-21:00.
func (c *Config) SMSWindow() Window {
	w, err := ParseWindow(c.SMSQuietHours)
	if err != nil {
		return Window{Start: 8 * time.Hour, End: 21 * time.Hour}
	}
	return w
}
