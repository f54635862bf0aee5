// Package templates holds the email templates, embedded in the binary. For
// each template NAME of tasks/email there are three files:
//
//	NAME.subject.tmpl  the subject (text/template; made one line when rendered)
//	NAME.html.tmpl     the HTML part's content (html/template), a "content"
//	                   block inside layout.html.tmpl
//	NAME.text.tmpl     the plain-text part (text/template), followed by
//	                   footer.text.tmpl
//
// The templates see the payload's data under the data keys' own names
// ({{.name}}, {{.reset_url}}); optional keys that are absent are "".
// internal/email parses and renders them.
package templates

import "embed"

// FS holds every template file.
//
//go:embed *.tmpl
var FS embed.FS
