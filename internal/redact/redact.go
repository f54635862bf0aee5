// Package redact masks personal data (phone numbers, email addresses) before
// it reaches a log line or an operator's screen. Every place that logs a
// recipient goes through it.
package redact

import (
	"regexp"
	"strings"
)

// Phone masks a phone number, keeping the country prefix and the last two
// digits so an operator can still tell two numbers apart:
// "+15555550123" → "+1*********23".
func Phone(p string) string {
	p = strings.TrimSpace(p)
	digits := 0
	for _, r := range p {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 5 {
		return strings.Repeat("*", len(p))
	}
	var b strings.Builder
	seen := 0
	for _, r := range p {
		if r < '0' || r > '9' {
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
// the domain: "jane.doe@example.com" → "j***@example.com".
func Email(addr string) string {
	addr = strings.TrimSpace(addr)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	return addr[:1] + "***" + addr[at:]
}

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// phonePattern finds E.164 numbers and loosely formatted ones of 8 or
	// more digits (spaces, dots, dashes or parentheses between them).
	phonePattern = regexp.MustCompile(`\+?\(?\d[\d\s().\-]{6,}\d`)
	// datePattern spares dates and times, which look like numbers too.
	datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
)

// Text masks every email address and phone number inside free text, such
// as a task payload shown on the dashboard. Phone numbers are recognised
// with a leading "+" or with separators; a bare run of digits is left alone.
func Text(s string) string {
	s = emailPattern.ReplaceAllStringFunc(s, Email)
	return phonePattern.ReplaceAllStringFunc(s, func(m string) string {
		digits := 0
		for _, r := range m {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		plain := strings.Trim(m, "0123456789") == ""
		if digits < 8 || datePattern.MatchString(m) || plain {
			// A bare run of digits is an ID or a timestamp far more often
			// than a phone number; payload numbers are E.164 with a "+".
			return m
		}
		return Phone(m)
	})
}
