package tasks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/tasks/internal/check"
)

// Decode strictly decodes raw into the payload of kind and validates it.
// raw must be exactly one JSON object whose keys are the payload's fields,
// spelled exactly, each once, with nothing after it; empty input and
// "null" stand for {}, which passes only for kinds with no required field.
// The error wraps ErrUnknownKind, ErrTooLarge or ErrInvalidJSON, or is a
// *ValidationError.
func Decode(kind string, raw []byte) (Payload, error) {
	k, ok := Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("%w %q (known kinds: %s)", ErrUnknownKind, kind, strings.Join(Names(), ", "))
	}
	if len(raw) > MaxPayloadBytes {
		return nil, check.TooLarge(kind, len(raw))
	}
	p := k.New()
	if err := decodeStrict(raw, p); err != nil {
		return nil, fmt.Errorf("%w for %s: %w", ErrInvalidJSON, kind, err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// NewTask decodes and validates raw as the payload of kind (see Decode)
// and returns the task with the kind's queue options followed by opts. The
// task's payload is the payload re-encoded, so it holds exactly the fields
// the worker reads.
func NewTask(kind string, raw []byte, opts ...asynq.Option) (*asynq.Task, error) {
	p, err := Decode(kind, raw)
	if err != nil {
		return nil, err
	}
	k, _ := Lookup(kind)
	return check.Task(k.Name, k.Queue, p, opts)
}

// decodeStrict decodes raw into dst, a pointer to a payload struct. It
// goes further than DisallowUnknownFields: encoding/json matches keys
// case-insensitively and lets a repeated key win silently, and the ingest
// bridge must refuse what a JavaScript producer would read differently.
func decodeStrict(raw []byte, dst any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte("{}")
	}
	if !utf8.Valid(raw) {
		return errors.New("payload is not valid UTF-8")
	}
	if raw[0] != '{' {
		return errors.New("payload must be a JSON object")
	}
	if err := checkKeys(raw, jsonFields(reflect.TypeOf(dst).Elem())); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the payload object")
	}
	return nil
}

// checkKeys walks the top-level object of raw and refuses a key that is
// not in fields (exact case) or that appears twice.
func checkKeys(raw []byte, fields map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the '{'
		return err
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch {
		case !fields[key]:
			return fmt.Errorf("unknown field %q", key)
		case seen[key]:
			return fmt.Errorf("field %q appears twice", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the '}'
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the payload object")
	}
	return nil
}

// fieldsOf caches jsonFields by type: the worker decodes every task's
// payload, and walking the struct by reflection each time was a tenth of
// its CPU per no-op task. The maps are never written after they are stored.
var fieldsOf sync.Map // reflect.Type → map[string]bool

// jsonFields returns the JSON names of the exported fields of struct t.
// Payloads are flat structs, so embedded structs are not followed.
func jsonFields(t reflect.Type) map[string]bool {
	if f, ok := fieldsOf.Load(t); ok {
		return f.(map[string]bool)
	}
	fields := map[string]bool{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		fields[name] = true
	}
	fieldsOf.Store(t, fields)
	return fields
}
