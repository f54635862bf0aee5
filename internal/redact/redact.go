// Package redact keeps personal data and secrets out of what people read:
// log lines and the operators' pages. Phone numbers and email addresses
// are masked (kept recognisable to whoever already knows them), secrets
// replaced whole by Redacted. Task payloads are rendered field by field
// through the classes their fields declare in tasks/ (Payload); free text
// is searched for numbers, addresses, URLs and key=value secrets (Text).
package redact

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces a secret.
const Redacted = "[redacted]"

// Phone masks a phone number, keeping the country prefix and the last two
// digits so an operator can still tell two numbers apart:
// "+15555550123" → "+1*********23". Digits of any script count.
func Phone(p string) string {
	p = strings.TrimSpace(p)
	digits := 0
	for _, r := range p {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if digits < 5 {
		return strings.Repeat("*", utf8.RuneCountInString(p))
	}
	var b strings.Builder
	seen := 0
	for _, r := range p {
		if !unicode.IsDigit(r) {
			b.WriteRune(r)
			continue
		}
		seen++
		if seen == 1 || seen > digits-2 {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// Email masks the local part of an address, keeping its first character and
// the domain: "jane.doe@example.com" → "j***@example.com",
// "élodie@exämple.fr" → "é***@exämple.fr".
func Email(addr string) string {
	addr = strings.TrimSpace(addr)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	first, _ := utf8.DecodeRuneInString(addr)
	return string(first) + "***" + addr[at:]
}

var (
	// emailPattern finds addresses, internationalised ones included
	// (letters and digits of any script, combining marks).
	emailPattern = regexp.MustCompile(`[\p{L}\p{N}\p{M}._%+\-]+@[\p{L}\p{N}\p{M}\-]+(?:\.[\p{L}\p{N}\p{M}\-]+)*\.[\p{L}\p{M}][\p{L}\p{N}\p{M}\-]+`)
	// phonePattern finds E.164 numbers and loosely formatted ones of 8 or
	// more digits of any script (spaces of any kind, dots, dashes or
	// parentheses between them; a full-width plus too).
	phonePattern = regexp.MustCompile(`[+＋]?\(?\p{Nd}[\p{Nd}\s\p{Zs}().\-‐‑–]{6,}\p{Nd}`)
	// streamID spares Redis stream entry IDs (milliseconds-sequence).
	streamID = regexp.MustCompile(`^\d{13}-\d+$`)
	// datePattern spares dates and times, which look like numbers too.
	datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
	// urlPattern finds absolute URLs in text.
	urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>\\]+`)
	// secretPair finds key=value and "key":"value" pairs whose key names a
	// secret, in text such as an error quoting a request.
	secretPair = regexp.MustCompile(`(?i)(\b(?:access[_-]?token|refresh[_-]?token|token|password|passwd|secret|api[_-]?key|authorization|signature|x-amz-signature|auth[_-]?token|reset[_-]?url)\b["']?\s*[:=]\s*["']?)([^\s"'&,;}]+)`)
)

// Text masks every email address and phone number inside free text, such
// as a task's error or a log message, hides the query, fragment and user
// information of every URL in it, and replaces the values of key=value
// pairs whose key names a secret (token=, "password":). Phone numbers are
// recognised with a leading "+" or with separators; a bare run of digits
// is left alone.
func Text(s string) string {
	// Each expression runs only when the text can hold what it finds:
	// most log text holds none of it, and the expressions cost
	// microseconds each.
	if strings.Contains(s, "://") {
		s = urlPattern.ReplaceAllStringFunc(s, URL)
	}
	if mayNameSecret(s) {
		s = secretPair.ReplaceAllString(s, "${1}"+Redacted)
	}
	if strings.IndexByte(s, '@') >= 0 {
		s = emailPattern.ReplaceAllStringFunc(s, Email)
	}
	if !manyDigits(s) {
		return s
	}
	return phonePattern.ReplaceAllStringFunc(s, func(m string) string {
		digits := 0
		for _, r := range m {
			if unicode.IsDigit(r) {
				digits++
			}
		}
		plain := strings.TrimFunc(m, unicode.IsDigit) == ""
		if digits < 8 || datePattern.MatchString(m) || plain || streamID.MatchString(m) {
			// A bare run of digits is an ID or a timestamp far more often
			// than a phone number; payload numbers are E.164 with a "+".
			return m
		}
		return Phone(m)
	})
}

// secretWords are the stems of secretPair's keys, for a quick look.
var secretWords = []string{"token", "pass", "secret", "key", "auth", "signature", "reset"}

// mayNameSecret reports whether s, lowercased, holds a stem of a secret
// key followed somewhere by "=" or ":".
func mayNameSecret(s string) bool {
	if !strings.ContainsAny(s, "=:") {
		return false
	}
	l := strings.ToLower(s)
	for _, w := range secretWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// manyDigits reports whether s holds at least 8 digits (of any script),
// the fewest a phone number has.
func manyDigits(s string) bool {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			if n++; n >= 8 {
				return true
			}
		}
	}
	return false
}

// URL returns u with its query and fragment replaced by Redacted and its
// user information dropped: "https://x.example/r?token=abc#f" →
// "https://x.example/r?[redacted]". Pre-signed links and reset links
// carry their secret there. A relative reference ("/v1/x?key=1") is
// treated the same.
func URL(u string) string {
	rest := u
	scheme := ""
	if i := strings.Index(u, "://"); i >= 0 {
		scheme, rest = u[:i+3], u[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			rest = Redacted + rest[at:]
		}
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i] + "?" + Redacted
	}
	return scheme + rest
}
