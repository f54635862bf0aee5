// Package sms declares the tasks of the sms queue: sending one message and
// the three periodic dispatchers that turn appointments and campaigns into
// outbox rows.
package sms

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/internal/check"
)

// KindSend is the wire name of the send task: never rename it.
const KindSend = "sms:send"

// Message categories. Marketing messages need consent and wait for the
// recipient's daytime; transactional ones do not.
const (
	CategoryTransactional = "transactional"
	CategoryMarketing     = "marketing"
)

// MaxBodyRunes bounds a message body, in characters (Twilio's limit).
const MaxBodyRunes = 1600

// E164Pattern is the form of a phone number: "+", then 8 to 15 digits, the
// first not 0.
const E164Pattern = `^\+[1-9][0-9]{7,14}$`

var e164 = regexp.MustCompile(E164Pattern)

// SendPayload asks for one SMS to be sent. It has two forms: MessageID
// alone names an outbox row that already holds the message; the inline
// form (To, Body, SalonID, Category, IdempotencyKey, all required) lets the
// worker create that row itself, once per IdempotencyKey. Zero values mean
// absent; mixing the forms is refused.
type SendPayload struct {
	// MessageID is the id of an sms outbox row.
	MessageID int64 `json:"message_id,omitempty" class:"plain" jsonschema:"minimum=1" jsonschema_description:"Id of an SMS outbox row; alone, or the inline form instead."`
	// To is the recipient's phone number, E.164.
	To string `json:"to,omitempty" class:"pii" jsonschema:"pattern=^\\+[1-9][0-9]{7\\,14}$" jsonschema_description:"Recipient phone number, E.164 (inline form)."`
	// Body is the message text, at most MaxBodyRunes characters.
	Body string `json:"body,omitempty" class:"secret" jsonschema:"minLength=1,maxLength=1600" jsonschema_description:"Message text, at most 1600 characters (inline form)."`
	// SalonID is the id of the salon the message is sent for.
	SalonID int64 `json:"salon_id,omitempty" class:"plain" jsonschema:"minimum=1" jsonschema_description:"Id of the salon the message is sent for (inline form)."`
	// Category is CategoryTransactional or CategoryMarketing.
	Category string `json:"category,omitempty" class:"plain" jsonschema:"enum=transactional,enum=marketing" jsonschema_description:"Message category (inline form)."`
	// IdempotencyKey names the logical message: one key, one message.
	IdempotencyKey string `json:"idempotency_key,omitempty" class:"pii" jsonschema:"minLength=1,maxLength=200" jsonschema_description:"Names the logical message: the same key never sends twice (inline form)."`
}

// InlineFields names the fields of the inline form, in wire order.
var InlineFields = []string{"to", "body", "salon_id", "category", "idempotency_key"}

// Validate reports every problem of the payload in one
// *tasks.ValidationError, or nil.
func (p SendPayload) Validate() error {
	c := check.New(KindSend)
	inline := p.inlineGiven()
	switch {
	case p.MessageID != 0 && len(inline) > 0:
		c.Add("message_id", "cannot be combined with the inline form (%s given)", strings.Join(inline, ", "))
	case p.MessageID != 0:
		c.ID("message_id", p.MessageID)
	case len(inline) == 0:
		c.Add("message_id", "is required, or the inline form: %s", strings.Join(InlineFields, ", "))
	default:
		p.validateInline(c)
	}
	return c.Err()
}

// inlineGiven returns the names of the inline fields that are set.
func (p SendPayload) inlineGiven() []string {
	var given []string
	for i, set := range []bool{p.To != "", p.Body != "", p.SalonID != 0, p.Category != "", p.IdempotencyKey != ""} {
		if set {
			given = append(given, InlineFields[i])
		}
	}
	return given
}

func (p SendPayload) validateInline(c *check.Problems) {
	switch {
	case p.To == "":
		c.Add("to", "is required in the inline form")
	case !e164.MatchString(p.To):
		c.Add("to", "%s is not an E.164 phone number", check.Quote(p.To))
	}
	switch n := utf8.RuneCountInString(p.Body); {
	case p.Body == "":
		c.Add("body", "is required in the inline form")
	case !utf8.ValidString(p.Body):
		c.Add("body", "is not valid UTF-8")
	case n > MaxBodyRunes:
		c.Add("body", "is %d characters long, at most %d allowed", n, MaxBodyRunes)
	case strings.ContainsRune(p.Body, 0):
		c.Add("body", "must not contain NUL characters")
	}
	c.ID("salon_id", p.SalonID)
	switch p.Category {
	case CategoryTransactional, CategoryMarketing:
	case "":
		c.Add("category", "is required in the inline form")
	default:
		c.Add("category", "%s is not %q or %q", check.Quote(p.Category), CategoryTransactional, CategoryMarketing)
	}
	c.IdempotencyKey("idempotency_key", p.IdempotencyKey, true)
}

// NewSendTask returns the task to enqueue, with the sms queue's options
// followed by opts.
func NewSendTask(p SendPayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindSend, queues.SMS, p, opts)
}
