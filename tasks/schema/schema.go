// Package schema generates the JSON Schemas (draft 2020-12) of every task
// payload, published in this directory for producers that are not Go (the
// NestJS API validates what it appends to jobs:ingest with them). They are
// generated from the payload structs and their jsonschema tags, plus the
// rules tags cannot say (the two forms of sms:send, the data of each email
// template); Validate stays the authority.
package schema

//go:generate go run ./gen -dir .

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/salonworks/jobs/tasks"
	"github.com/salonworks/jobs/tasks/email"
	"github.com/salonworks/jobs/tasks/sms"
)

// BaseID is the URL the schemas' $id values start with.
const BaseID = "https://salonworks.dev/jobs/schema/"

// FileName returns the schema file of kind: "sms:send" → "sms.send.json".
func FileName(kind string) string { return strings.ReplaceAll(kind, ":", ".") + ".json" }

// Generate returns the schema of every kind in tasks.Kinds, indented JSON
// ending in a newline, keyed by FileName.
func Generate() (map[string][]byte, error) {
	r := &jsonschema.Reflector{Anonymous: true, ExpandedStruct: true, DoNotReference: true}
	files := map[string][]byte{}
	for _, k := range tasks.Kinds() {
		s := r.ReflectFromType(reflect.TypeOf(k.New()).Elem())
		s.ID = jsonschema.ID(BaseID + FileName(k.Name))
		s.Title = k.Name
		s.Description = k.Doc
		if extend := extensions[k.Name]; extend != nil {
			extend(s)
		}
		data, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("marshal schema of %s: %w", k.Name, err)
		}
		files[FileName(k.Name)] = append(data, '\n')
	}
	return files, nil
}

// extensions add to a kind's reflected schema the rules its tags cannot
// express.
var extensions = map[string]func(*jsonschema.Schema){
	sms.KindSend:   smsSendForms,
	email.KindSend: emailTemplateData,
}

// smsSendForms says that an sms:send payload is either message_id alone or
// the complete inline form.
func smsSendForms(s *jsonschema.Schema) {
	inline := make([]*jsonschema.Schema, len(sms.InlineFields))
	for i, f := range sms.InlineFields {
		inline[i] = &jsonschema.Schema{Required: []string{f}}
	}
	s.OneOf = []*jsonschema.Schema{
		{
			Title:       "outbox",
			Description: "Sends the outbox row message_id.",
			Required:    []string{"message_id"},
			Not:         &jsonschema.Schema{AnyOf: inline},
		},
		{
			Title:       "inline",
			Description: "Sends the given message, once per idempotency_key.",
			Required:    sms.InlineFields,
			Not:         &jsonschema.Schema{Required: []string{"message_id"}},
		},
	}
}

// emailTemplateData adds, for every template, the schema its data must
// match when the payload names it.
func emailTemplateData(s *jsonschema.Schema) {
	for _, t := range email.Templates() {
		cond := withProperty(&jsonschema.Schema{Required: []string{"template"}}, "template", &jsonschema.Schema{Const: t.Name})
		s.AllOf = append(s.AllOf, &jsonschema.Schema{
			If:   cond,
			Then: withProperty(&jsonschema.Schema{}, "data", templateData(t)),
		})
	}
}

// templateData returns the schema of the data of template t.
func templateData(t email.Template) *jsonschema.Schema {
	d := &jsonschema.Schema{
		Type:                 "object",
		Description:          fmt.Sprintf("Data of the %s template: %s", t.Name, t.Doc),
		Properties:           jsonschema.NewProperties(),
		AdditionalProperties: jsonschema.FalseSchema,
	}
	for _, f := range t.Fields {
		d.Properties.Set(f.Name, dataField(f))
		if f.Required {
			d.Required = append(d.Required, f.Name)
		}
		if len(f.Requires) > 0 {
			if d.DependentRequired == nil {
				d.DependentRequired = map[string][]string{}
			}
			d.DependentRequired[f.Name] = f.Requires
		}
	}
	return d
}

// dataField returns the schema of one template data value.
func dataField(f email.DataField) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "string", Description: f.Doc}
	switch f.Type {
	case email.URL:
		s.Format = "uri"
		s.Pattern = "^https?://"
	case email.PositiveInteger:
		s.Type = "integer"
		s.Minimum = "1"
	}
	if f.NonEmpty {
		s.MinLength = new(uint64(1))
	}
	if f.MaxRunes > 0 {
		s.MaxLength = new(uint64(f.MaxRunes))
	}
	if f.SingleLine {
		s.Pattern = `^[^\r\n]*$`
	}
	return s
}

// withProperty returns s holding the one property name: v.
func withProperty(s *jsonschema.Schema, name string, v *jsonschema.Schema) *jsonschema.Schema {
	s.Properties = jsonschema.NewProperties()
	s.Properties.Set(name, v)
	return s
}
