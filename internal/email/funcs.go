package email

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// button is the data of the layout's "button" template.
type button struct {
	URL  string
	Text string
}

var (
	textFuncs = texttemplate.FuncMap{
		"plural": plural,
		"line":   line,
	}
	htmlFuncs = htmltemplate.FuncMap{
		"plural":     plural,
		"line":       line,
		"paragraphs": paragraphs,
		"button":     func(url, text string) button { return button{URL: url, Text: text} },
	}
)

// line makes a value such as a name one line (OneLine without a bound), so
// that a name with line breaks cannot reshape the greeting.
func line(s string) string { return OneLine(s, 0) }

// plural returns one when n is 1, else many.
func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// paragraphs splits a plain-text message into paragraphs (separated by
// blank lines) of lines, so the HTML part keeps the message's shape while
// html/template escapes every line.
func paragraphs(s string) [][]string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out [][]string
	for _, p := range strings.Split(s, "\n\n") {
		var lines []string
		for _, l := range strings.Split(strings.Trim(p, "\n"), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
	}
	return out
}
