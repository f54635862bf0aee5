package email

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/salonworks/jobs/tasks/internal/check"
)

// Template names: the values of SendPayload.Template.
const (
	TemplateWelcome       = "welcome"
	TemplatePasswordReset = "password_reset"
	TemplateNotification  = "notification"
)

// FieldType is what a template data value must be.
type FieldType string

// Field types of template data.
const (
	// String is a JSON string.
	String FieldType = "string"
	// URL is a string holding an absolute http or https URL.
	URL FieldType = "url"
	// PositiveInteger is a JSON number that is a whole number above zero.
	PositiveInteger FieldType = "positive_integer"
)

// DataField describes one key of a template's data.
type DataField struct {
	// Name is the key in SendPayload.Data.
	Name string
	// Type is what the value must be.
	Type FieldType
	// Required says the key must be present.
	Required bool
	// NonEmpty says a String value must not be "".
	NonEmpty bool
	// SingleLine says a String value must hold no CR or LF (it ends up in
	// a header).
	SingleLine bool
	// MaxRunes bounds a String value, in characters; 0 means no bound.
	MaxRunes int
	// Requires names keys that must be present when this one is.
	Requires []string
	// Class says how the value may be shown outside the worker (the
	// dashboard, logs): a reset link is Secret, a name PII.
	Class check.Class
	// Doc says what the value is for.
	Doc string
}

// Template is one email template and the data it renders.
type Template struct {
	// Name is the template's wire name.
	Name string
	// Doc says what the email is.
	Doc string
	// Fields lists every data key the template knows; others are refused.
	Fields []DataField
}

var templates = []Template{
	{Name: TemplateWelcome, Doc: "Welcome email sent when an account is created.", Fields: []DataField{
		{Name: "name", Type: String, Required: true, NonEmpty: true, Class: check.PII, Doc: "Name the greeting uses."},
	}},
	{Name: TemplatePasswordReset, Doc: "Password reset link.", Fields: []DataField{
		{Name: "name", Type: String, Required: true, Class: check.PII, Doc: "Name the greeting uses."},
		{Name: "reset_url", Type: URL, Required: true, Class: check.Secret, Doc: "Absolute http(s) URL of the reset page."},
		{Name: "expires_in_minutes", Type: PositiveInteger, Required: true, Class: check.Plain, Doc: "Minutes until the link expires."},
	}},
	{Name: TemplateNotification, Doc: "Free-form notification with an optional link.", Fields: []DataField{
		{Name: "subject", Type: String, Required: true, NonEmpty: true, SingleLine: true, MaxRunes: 200, Class: check.PII, Doc: "Subject line."},
		{Name: "message", Type: String, Required: true, NonEmpty: true, Class: check.PII, Doc: "Message text."},
		{Name: "link_url", Type: URL, Class: check.Secret, Doc: "Absolute http(s) URL the link points to."},
		{Name: "link_text", Type: String, Requires: []string{"link_url"}, Class: check.PII, Doc: "Text of the link; needs link_url."},
	}},
}

// Templates returns every template with its data spec, in a stable order.
// The result is a copy: changing it changes nothing here.
func Templates() []Template {
	out := make([]Template, len(templates))
	for i, t := range templates {
		t.Fields = slices.Clone(t.Fields)
		for j := range t.Fields {
			t.Fields[j].Requires = slices.Clone(t.Fields[j].Requires)
		}
		out[i] = t
	}
	return out
}

// TemplateNames returns the name of every template, in Templates order.
func TemplateNames() []string {
	names := make([]string, len(templates))
	for i, t := range templates {
		names[i] = t.Name
	}
	return names
}

// LookupTemplate returns the template called name.
func LookupTemplate(name string) (Template, bool) {
	for _, t := range Templates() {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}

// checkData adds a problem for every missing, mistyped or unknown key of
// data.
func (t Template) checkData(c *check.Problems, data map[string]any) {
	known := map[string]bool{}
	for _, f := range t.Fields {
		known[f.Name] = true
		field := "data." + f.Name
		v, ok := data[f.Name]
		if !ok {
			if f.Required {
				c.Add(field, "is required by template %q", t.Name)
			}
			continue
		}
		if problem := f.checkValue(v); problem != "" {
			c.Add(field, "%s", problem)
		}
		for _, r := range f.Requires {
			if _, ok := data[r]; !ok {
				c.Add(field, "needs data.%s", r)
			}
		}
	}
	var unknown []string
	for k := range data {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		c.Add("data."+k, "is not a field of template %q", t.Name)
	}
}

// checkValue returns what is wrong with v, or "".
func (f DataField) checkValue(v any) string {
	if f.Type == PositiveInteger {
		switch {
		case isPositiveInteger(v):
			return ""
		case isNumber(v):
			return fmt.Sprintf("%v is not a positive integer", v)
		}
		return fmt.Sprintf("must be a positive integer, got %T", v)
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Sprintf("must be a string, got %T", v)
	}
	switch {
	case f.Type == URL:
		return check.HTTPURL(s)
	case f.NonEmpty && strings.TrimSpace(s) == "":
		return "must not be empty"
	case f.SingleLine && check.HasLineBreak(s):
		return "must not contain line breaks"
	case f.MaxRunes > 0 && len([]rune(s)) > f.MaxRunes:
		return fmt.Sprintf("is %d characters long, at most %d allowed", len([]rune(s)), f.MaxRunes)
	}
	return ""
}

// isPositiveInteger accepts the whole numbers above zero that JSON decoding
// (float64, json.Number) or a Go producer (int types) may put in data.
func isPositiveInteger(v any) bool {
	switch n := v.(type) {
	case float64:
		return n > 0 && n == math.Trunc(n) && n <= 1<<53
	case json.Number:
		i, err := n.Int64()
		return err == nil && i > 0
	case int:
		return n > 0
	case int32:
		return n > 0
	case int64:
		return n > 0
	case uint:
		return n > 0
	case uint32:
		return n > 0
	case uint64:
		return n > 0
	}
	return false
}

// isNumber reports whether v is one of the number types isPositiveInteger
// knows.
func isNumber(v any) bool {
	switch v.(type) {
	case float64, json.Number, int, int32, int64, uint, uint32, uint64:
		return true
	}
	return false
}
