package admin

import (
	"unicode"
	"unicode/utf8"

	"github.com/hibiken/asynqmon"

	"github.com/salonworks/jobs/internal/redact"
)

// Formatter renders what the dashboard shows of a task through the
// classes its payload fields declare in tasks/ (redact.Payload): secrets
// (reset links, signed URLs, SMS bodies, request bodies) as "[redacted]",
// phone numbers and addresses masked. It is used for the payload of every
// task list, task detail, the servers' active workers and the scheduler
// entries, and for results. Bytes that are not printable text are not
// shown at all, as asynqmon's default formatter does.
type Formatter struct{}

var (
	_ asynqmon.PayloadFormatter = Formatter{}
	_ asynqmon.ResultFormatter  = Formatter{}
)

// FormatPayload returns payload, of task kind kind, rendered field by
// field.
func (Formatter) FormatPayload(kind string, payload []byte) string {
	if len(payload) > 0 && !printable(payload) {
		return "non-printable bytes"
	}
	return redact.Payload(kind, payload)
}

// FormatResult returns result as text with phone numbers, addresses, URL
// queries and key=value secrets masked: a result has no declared fields.
func (Formatter) FormatResult(_ string, result []byte) string {
	if len(result) == 0 {
		return ""
	}
	if !printable(result) {
		return "non-printable bytes"
	}
	return redact.Text(string(result))
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
