package admin

import (
	"unicode"
	"unicode/utf8"

	"github.com/hibiken/asynqmon"

	"github.com/salonworks/jobs/internal/redact"
)

// Formatter masks phone numbers and email addresses in what the dashboard
// shows of a task: its payload (task lists, task details, the servers'
// active workers, scheduler entries) and its result. Payloads carry E.164
// numbers ("+15555550123") and addresses, which redact.Text recognises
// anywhere in the text, JSON or not. Bytes that are not printable text are
// not shown at all, as asynqmon's default formatter does.
type Formatter struct{}

var (
	_ asynqmon.PayloadFormatter = Formatter{}
	_ asynqmon.ResultFormatter  = Formatter{}
)

// FormatPayload returns payload with phone numbers and emails masked.
func (Formatter) FormatPayload(_ string, payload []byte) string { return mask(payload) }

// FormatResult returns result with phone numbers and emails masked.
func (Formatter) FormatResult(_ string, result []byte) string { return mask(result) }

func mask(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if !printable(b) {
		return "non-printable bytes"
	}
	return redact.Text(string(b))
}

// printable reports whether b is UTF-8 text of printable characters and
// white space.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
