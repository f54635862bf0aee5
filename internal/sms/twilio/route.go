package twilio

import (
	"net/http"
	"regexp"
	"strings"
)

// sidSegment matches a path segment that is a Twilio SID (AC…, SM…, MG…):
// the account SID identifies the customer of Twilio, a message SID one
// recipient's message.
var sidSegment = regexp.MustCompile(`^[A-Z]{2}[0-9a-fA-F]{32}$`)

// longDigits finds a run of digits long enough to be a phone number; the
// API's version (2010-04-01) has none.
var longDigits = regexp.MustCompile(`[0-9]{5}`)

// route names a request to Twilio for its span: the path with every SID,
// and anything else that is not a plain word, replaced by a placeholder;
// the query string (where list calls put the recipient's number) is never
// read.
func route(req *http.Request) string {
	segs := strings.Split(req.URL.Path, "/")
	for i, s := range segs {
		name, ext, _ := strings.Cut(s, ".")
		if ext != "" {
			ext = "." + ext
		}
		switch {
		case sidSegment.MatchString(name) && i > 0 && segs[i-1] == "Accounts":
			segs[i] = "{AccountSid}" + ext
		case sidSegment.MatchString(name):
			segs[i] = "{Sid}" + ext
		case strings.IndexFunc(name, notWord) >= 0 || longDigits.MatchString(name):
			segs[i] = "{id}" + ext
		}
	}
	return req.Method + " " + strings.Join(segs, "/")
}

// notWord reports a rune that a fixed path word of Twilio's API never has.
func notWord(r rune) bool {
	return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_'
}
