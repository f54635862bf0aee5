package email

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"math"
	"strings"
	texttemplate "text/template"
	"unicode"

	"github.com/salonworks/jobs/internal/email/templates"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

// MaxSubjectRunes bounds a rendered subject, in characters; a longer one is
// cut with "…".
const MaxSubjectRunes = 200

// ErrRender means a template could not be rendered from the data given. Data that
// passed SendPayload.Validate always renders, so this is a bug or a payload
// that skipped validation; retrying is pointless.
var ErrRender = errors.New("render email")

// Rendered is one email's subject and parts.
type Rendered struct {
	// Subject is one line: no CR, LF or other control characters.
	Subject string
	// HTML is the text/html part; the data in it is escaped.
	HTML string
	// Text is the text/plain part.
	Text string
}

// Renderer renders the embedded templates. It is safe for concurrent use.
type Renderer struct {
	byName map[string]*parsed
}

// parsed is one template's three parts and its data spec.
type parsed struct {
	spec    taskemail.Template
	subject *texttemplate.Template
	html    *htmltemplate.Template
	text    *texttemplate.Template
}

// NewRenderer parses the templates embedded in the binary: every template
// tasks/email declares must have its three parts.
func NewRenderer() (*Renderer, error) {
	return newRenderer(templates.FS)
}

func newRenderer(fsys fs.FS) (*Renderer, error) {
	r := &Renderer{byName: map[string]*parsed{}}
	for _, spec := range taskemail.Templates() {
		p, err := parse(fsys, spec)
		if err != nil {
			return nil, fmt.Errorf("email template %s: %w", spec.Name, err)
		}
		r.byName[spec.Name] = p
	}
	return r, nil
}

func parse(fsys fs.FS, spec taskemail.Template) (*parsed, error) {
	p := &parsed{spec: spec}
	var err error
	// missingkey=error: a template that names a key its spec lacks fails
	// loudly instead of printing "<no value>".
	if p.subject, err = texttemplate.New("subject").Option("missingkey=error").Funcs(textFuncs).
		ParseFS(fsys, spec.Name+".subject.tmpl"); err != nil {
		return nil, err
	}
	if p.html, err = htmltemplate.New("html").Option("missingkey=error").Funcs(htmlFuncs).
		ParseFS(fsys, "layout.html.tmpl", spec.Name+".html.tmpl"); err != nil {
		return nil, err
	}
	if p.text, err = texttemplate.New("text").Option("missingkey=error").Funcs(textFuncs).
		ParseFS(fsys, "footer.text.tmpl", spec.Name+".text.tmpl"); err != nil {
		return nil, err
	}
	return p, nil
}

// Render renders template name from data, a payload's Data.
func (r *Renderer) Render(name string, data map[string]any) (Rendered, error) {
	p, ok := r.byName[name]
	if !ok {
		return Rendered{}, fmt.Errorf("%w: unknown template %q", ErrRender, name)
	}
	v, err := view(p.spec, data)
	if err != nil {
		return Rendered{}, fmt.Errorf("%w %s: %w", ErrRender, name, err)
	}
	var subject, html, text bytes.Buffer
	if err := p.subject.ExecuteTemplate(&subject, name+".subject.tmpl", v); err != nil {
		return Rendered{}, fmt.Errorf("%w %s subject: %w", ErrRender, name, err)
	}
	if err := p.html.ExecuteTemplate(&html, "layout", v); err != nil {
		return Rendered{}, fmt.Errorf("%w %s html: %w", ErrRender, name, err)
	}
	if err := p.text.ExecuteTemplate(&text, name+".text.tmpl", v); err != nil {
		return Rendered{}, fmt.Errorf("%w %s text: %w", ErrRender, name, err)
	}
	s := OneLine(subject.String(), MaxSubjectRunes)
	if s == "" {
		return Rendered{}, fmt.Errorf("%w %s: the subject is empty", ErrRender, name)
	}
	return Rendered{Subject: s, HTML: html.String(), Text: text.String()}, nil
}

// view is what the templates see: every field of the spec, typed (strings,
// and int64 for positive integers), absent optional fields as zero values.
// Keys outside the spec are left out.
func view(spec taskemail.Template, data map[string]any) (map[string]any, error) {
	v := make(map[string]any, len(spec.Fields))
	for _, f := range spec.Fields {
		raw, ok := data[f.Name]
		switch {
		case !ok && f.Required:
			return nil, fmt.Errorf("data.%s is missing", f.Name)
		case !ok && f.Type == taskemail.PositiveInteger:
			v[f.Name] = int64(0)
		case !ok:
			v[f.Name] = ""
		case f.Type == taskemail.PositiveInteger:
			n, ok := toInt64(raw)
			if !ok {
				return nil, fmt.Errorf("data.%s is not a positive integer", f.Name)
			}
			v[f.Name] = n
		default:
			s, ok := raw.(string)
			if !ok {
				return nil, fmt.Errorf("data.%s is not a string", f.Name)
			}
			v[f.Name] = s
		}
	}
	return v, nil
}

// toInt64 converts the number types JSON decoding or a Go producer puts in
// data to a positive int64.
func toInt64(v any) (int64, bool) {
	var n int64
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || x > 1<<53 {
			return 0, false
		}
		n = int64(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return 0, false
		}
		n = i
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case uint:
		n = int64(min(x, math.MaxInt64))
	case uint32:
		n = int64(x)
	case uint64:
		n = int64(min(x, math.MaxInt64))
	default:
		return 0, false
	}
	return n, n > 0
}

// OneLine makes s fit a header: every control or line-separating character
// (CR, LF, tab, U+2028, …) becomes a space, runs of spaces collapse, and the
// result is trimmed and cut to maxRunes characters (0: no bound), ending in
// "…" when cut. Nothing a producer sends can start another header.
func OneLine(s string, maxRunes int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}), " ")
	if r := []rune(s); maxRunes > 0 && len(r) > maxRunes {
		s = strings.TrimRightFunc(string(r[:maxRunes-1]), unicode.IsSpace) + "…"
	}
	return s
}
