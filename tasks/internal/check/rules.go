package check

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxKeyRunes bounds an idempotency key, in characters.
const MaxKeyRunes = 200

// DateLayout is the layout of a payload date: YYYY-MM-DD.
const DateLayout = time.DateOnly

// Quote returns v quoted for an error message, shortened when long so a
// bad value cannot flood a log line.
func Quote(v string) string {
	const limit = 64
	if utf8.RuneCountInString(v) <= limit {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%q…", string([]rune(v)[:limit]))
}

// ID checks that v, the id of a row, is present and positive.
func (p *Problems) ID(field string, v int64) {
	switch {
	case v == 0:
		p.Add(field, "is required")
	case v < 0:
		p.Add(field, "must be a positive id, got %d", v)
	}
}

// IdempotencyKey checks a key that makes one logical message out of many
// enqueues: at most MaxKeyRunes characters of valid UTF-8 with no control
// characters. An empty key is a problem only when required.
func (p *Problems) IdempotencyKey(field, v string, required bool) {
	switch {
	case v == "":
		if required {
			p.Add(field, "is required")
		}
	case !utf8.ValidString(v):
		p.Add(field, "is not valid UTF-8")
	case utf8.RuneCountInString(v) > MaxKeyRunes:
		p.Add(field, "is %d characters long, at most %d allowed", utf8.RuneCountInString(v), MaxKeyRunes)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		p.Add(field, "must not contain control characters")
	}
}

// Date checks an optional date: empty, or a real calendar day written
// YYYY-MM-DD.
func (p *Problems) Date(field, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(DateLayout, v); err != nil {
		p.Add(field, "%s is not a date in the form YYYY-MM-DD", Quote(v))
	}
}

// HTTPURL returns "" when v is an absolute http or https URL with a host,
// no user info and no whitespace or control characters, and the problem
// otherwise.
func HTTPURL(v string) string {
	bad := fmt.Sprintf("%s is not an absolute http(s) URL", Quote(v))
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return bad
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return bad
	}
	if u.User != nil {
		return fmt.Sprintf("%s must not carry user info", Quote(v))
	}
	return ""
}

// HasLineBreak reports whether v holds a CR or LF, which would let a value
// inject a header line.
func HasLineBreak(v string) bool { return strings.ContainsAny(v, "\r\n") }
