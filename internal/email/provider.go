package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"

	"github.com/salonworks/jobs/internal/redact"
)

// Message is one rendered email, ready for a provider.
type Message struct {
	// ID is the outbox row's id; providers may tag the message with it.
	ID int64
	// Template is the template's name.
	Template string
	// From is the sender, as FormatFrom returns it.
	From string
	// To is the recipient: one bare address.
	To string
	// Subject, HTML and Text are the rendered email.
	Subject string
	HTML    string
	Text    string
}

// Check refuses a message whose headers could carry more than one value:
// a recipient that is not one bare address, or a line break in the subject
// or the sender. The renderer and SendPayload.Validate already ensure
// this; Check is the last look before the provider.
func (m Message) Check() error {
	if a, err := mail.ParseAddress(m.To); err != nil || a.Name != "" || a.Address != m.To || strings.ContainsAny(m.To, "\r\n") {
		return errors.New("the recipient is not one bare email address")
	}
	if strings.ContainsAny(m.Subject, "\r\n") || strings.TrimSpace(m.Subject) == "" {
		return errors.New("the subject is empty or holds a line break")
	}
	if strings.ContainsAny(m.From, "\r\n") {
		return errors.New("the sender holds a line break")
	}
	return nil
}

// FormatFrom checks EMAIL_FROM ("no-reply@example.com" or "Salon
// <no-reply@example.com>") and returns it as a header value: a display
// name outside ASCII is encoded (RFC 2047), so it is safe in any header.
func FormatFrom(from string) (string, error) {
	a, err := mail.ParseAddress(from)
	if err != nil || strings.ContainsAny(from, "\r\n") {
		return "", fmt.Errorf("EMAIL_FROM %q is not an email address, like Salon <no-reply@example.com>", from)
	}
	if a.Name == "" {
		return a.Address, nil
	}
	return a.String(), nil
}

// Provider hands a rendered email to a mail service.
type Provider interface {
	// Name labels metrics and logs ("ses", "log").
	Name() string
	// Send hands m over and returns the service's message ID. Its errors
	// should be *SendError; any other error counts as ClassUnknown.
	Send(ctx context.Context, m Message) (messageID string, err error)
}

// LogProvider "sends" by logging the masked recipient, the template and the
// sizes of the subject and parts, never their text: EMAIL_PROVIDER=log, for
// development.
type LogProvider struct {
	Logger *slog.Logger
}

// Name implements Provider.
func (LogProvider) Name() string { return "log" }

// Send implements Provider. The message ID is "log-" and the row's id.
func (p LogProvider) Send(ctx context.Context, m Message) (string, error) {
	id := "log-" + strconv.FormatInt(m.ID, 10)
	p.Logger.InfoContext(ctx, "email sent to the log (EMAIL_PROVIDER=log)",
		"email_id", m.ID, "template", m.Template, "to", redact.Email(m.To),
		"subject_chars", len([]rune(m.Subject)), "html_bytes", len(m.HTML), "text_bytes", len(m.Text),
		"message_id", id)
	return id, nil
}
