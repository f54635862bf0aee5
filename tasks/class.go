package tasks

import (
	"encoding/json"

	"github.com/salonworks/jobs/tasks/internal/check"
)

// Class says how a payload value may be shown outside the worker that
// uses it. Each payload field declares its class next to its type, in a
// `class:"plain|pii|secret"` struct tag (an email's template data, per
// template, in email.DataField.Class); whatever shows a payload (the
// dashboard, the logs) renders it through ClassOf.
type Class = check.Class

// The classes of payload values.
const (
	// Plain values are shown as they are, still with any URL's query and
	// fragment hidden and any phone number or address inside masked.
	Plain = check.Plain
	// PII values (recipients, names, text addressed to a person) are
	// shown masked.
	PII = check.PII
	// Secret values (reset links, signed URLs, tokens, bodies) are never
	// shown.
	Secret = check.Secret
)

// ClassOf returns how to show the values of a payload of kind whose JSON
// is raw: a function from a value's path (the object keys from the top
// level, such as ["data", "reset_url"]) to its class. raw need not be
// valid for kind: what decodes is used to tell the classes (an email's
// template), and a path the payload does not declare is Secret. known is
// false for a kind not in the catalogue, whose every path is Secret.
func ClassOf(kind string, raw []byte) (classOf func(path []string) Class, known bool) {
	k, ok := Lookup(kind)
	if !ok {
		return func([]string) Class { return Secret }, false
	}
	p := k.New()
	// Errors are ignored on purpose: a payload that was refused is shown
	// too, and its fields still have their classes.
	_ = json.Unmarshal(raw, p)
	return func(path []string) Class { return check.ClassOf(p, path) }, true
}

// HoldsSecret reports whether raw, a payload of kind, has a non-empty
// value of class Secret (an unknown kind's payload always counts as
// having one). The constructors give such a task no retention, so its
// payload leaves Redis when it completes; whatever enqueues a copy of a
// task itself should do the same.
func HoldsSecret(kind string, raw []byte) bool {
	k, ok := Lookup(kind)
	if !ok {
		return true
	}
	p := k.New()
	_ = json.Unmarshal(raw, p)
	return check.HoldsSecret(p, raw)
}
