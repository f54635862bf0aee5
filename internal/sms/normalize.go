package sms

import (
	"strings"
	"unicode"
)

// normalize upper-cases body and trims spaces and punctuation around it.
func normalize(body string) string {
	return strings.ToUpper(strings.TrimFunc(body, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }))
}
