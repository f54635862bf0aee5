// Package email declares the task of the emails queue: sending one email
// rendered from a template. The templates and the data each one needs are
// exported (Templates) so the renderer checks the same contract.
package email

import (
	"net/mail"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/internal/check"
)

// KindSend is the wire name of the send task: never rename it.
const KindSend = "email:send"

// MaxAddressBytes bounds a recipient address (RFC 5321's path limit).
const MaxAddressBytes = 254

// SendPayload asks for one email rendered from a template.
type SendPayload struct {
	// Template is the template's name, one of TemplateNames.
	Template string `json:"template" class:"plain" jsonschema:"enum=welcome,enum=password_reset,enum=notification" jsonschema_description:"Template to render."`
	// To is the recipient: one bare address, no display name.
	To string `json:"to" class:"pii" jsonschema:"format=email,maxLength=254" jsonschema_description:"Recipient: one bare email address, no display name."`
	// Data holds the values the template renders; its keys and their types
	// are the template's Fields.
	Data map[string]any `json:"data" class:"secret" jsonschema_description:"Values the template renders; the keys depend on the template."`
	// IdempotencyKey names the logical email: one key, one email.
	IdempotencyKey string `json:"idempotency_key,omitempty" class:"pii" jsonschema:"minLength=1,maxLength=200" jsonschema_description:"Names the logical email: the same key never sends twice."`
}

// Validate reports every problem of the payload in one
// *tasks.ValidationError, or nil.
func (p SendPayload) Validate() error {
	c := check.New(KindSend)
	t, known := LookupTemplate(p.Template)
	switch {
	case p.Template == "":
		c.Add("template", "is required")
	case !known:
		c.Add("template", "%s is not one of %s", check.Quote(p.Template), strings.Join(TemplateNames(), ", "))
	}
	if problem := addressProblem(p.To); problem != "" {
		c.Add("to", "%s", problem)
	}
	switch {
	case p.Data == nil:
		c.Add("data", "is required")
	case known:
		t.checkData(c, p.Data)
	}
	c.IdempotencyKey("idempotency_key", p.IdempotencyKey, false)
	return c.Err()
}

// addressProblem returns what is wrong with a recipient address, or "".
func addressProblem(to string) string {
	q := check.Quote(to)
	switch {
	case to == "":
		return "is required"
	case check.HasLineBreak(to):
		return q + " must not contain line breaks"
	case len(to) > MaxAddressBytes:
		return q + " is longer than 254 bytes"
	}
	a, err := mail.ParseAddress(to)
	if err != nil {
		return q + " is not an email address"
	}
	if a.Name != "" || a.Address != to {
		return q + " must be one bare address, without a display name or angle brackets"
	}
	return ""
}

// NewSendTask returns the task to enqueue, with the emails queue's options
// followed by opts.
func NewSendTask(p SendPayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindSend, queues.Emails, p, opts)
}

// FieldClass gives each key of Data the class its template declares
// (DataField.Class); a key the template does not know, or any key when the
// template is unknown, is Secret. Other paths are left to the struct tags.
func (p SendPayload) FieldClass(path []string) (check.Class, bool) {
	if len(path) < 2 || path[0] != "data" {
		return "", false
	}
	for _, t := range templates {
		if t.Name != p.Template {
			continue
		}
		for _, f := range t.Fields {
			if f.Name == path[1] && f.Class != "" {
				return f.Class, true
			}
		}
	}
	return check.Secret, true
}
