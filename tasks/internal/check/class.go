package check

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Class says how a payload value may be shown outside the worker that
// uses it: on the dashboard, in a log line, in an error.
type Class string

// The classes of payload values.
const (
	// Plain values are shown as they are (ids, dates, enums), still with
	// any URL's query and fragment hidden and any phone number or address
	// inside them masked.
	Plain Class = "plain"
	// PII values (recipients, names, free text addressed to a person) are
	// shown masked.
	PII Class = "pii"
	// Secret values (reset links, signed URLs, tokens, request bodies) are
	// never shown.
	Secret Class = "secret"
)

// ClassTag is the struct tag that declares a payload field's class:
// `class:"pii"`. A field without one counts as Secret, so forgetting the
// tag hides a value rather than leaks it.
const ClassTag = "class"

// Classifier is implemented by a payload whose values below a field have
// classes of their own that depend on the payload (an email's template
// data: what each key holds depends on the template). FieldClass returns
// the class of the value at path, the JSON keys from the payload's top
// level, and false when it leaves path to the field's tag.
type Classifier interface {
	FieldClass(path []string) (Class, bool)
}

// ClassOf returns the class of the value at path in payload p (a struct
// or a pointer to one): p's own FieldClass when it knows, else the tag of
// the top-level field named path[0], which covers everything below it.
// An unknown field, or one without a valid tag, is Secret.
func ClassOf(p any, path []string) Class {
	if len(path) == 0 {
		return Secret
	}
	if c, ok := p.(Classifier); ok {
		if class, ok := c.FieldClass(path); ok {
			return class
		}
	}
	t := reflect.TypeOf(p)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return Secret
	}
	for f := range t.Fields() {
		if !f.IsExported() || JSONName(f) != path[0] {
			continue
		}
		return TagClass(f)
	}
	return Secret
}

// TagClass returns the class a struct field's tag declares, Secret when
// it declares none or an unknown one.
func TagClass(f reflect.StructField) Class {
	switch c := Class(f.Tag.Get(ClassTag)); c {
	case Plain, PII, Secret:
		return c
	}
	return Secret
}

// JSONName returns the key a struct field has in JSON ("" for "-").
func JSONName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}

// HoldsSecret reports whether data, the JSON of payload p, has a
// non-empty value whose class is Secret.
func HoldsSecret(p any, data []byte) bool {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return true
	}
	found := false
	WalkLeaves(v, nil, func(path []string, leaf any) {
		if !found && !empty(leaf) && ClassOf(p, path) == Secret {
			found = true
		}
	})
	return found
}

// WalkLeaves calls fn with every leaf of v (a value decoded from JSON) and
// its path of object keys; array elements keep their array's path, and an
// empty object or array is a leaf.
func WalkLeaves(v any, path []string, fn func(path []string, leaf any)) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			fn(path, v)
		}
		for k, x := range v {
			WalkLeaves(x, append(path[:len(path):len(path)], k), fn)
		}
	case []any:
		if len(v) == 0 {
			fn(path, v)
		}
		for _, x := range v {
			WalkLeaves(x, path, fn)
		}
	default:
		fn(path, v)
	}
}

func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}
