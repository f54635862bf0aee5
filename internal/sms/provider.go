package sms

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/internal/sms/twilio"
)

// Provider sends a text and can look one up afterwards.
type Provider interface {
	// Name labels metrics and logs ("twilio", "log").
	Name() string
	// Send hands one message over from sender (a Messaging Service SID
	// or a number; empty is the platform's sender); statusCallback is
	// where delivery status is reported. Errors are twilio's classes (or
	// ordinary ones).
	Send(ctx context.Context, sender, to, body, statusCallback string) (sid string, err error)
	// Lookup lists what the provider holds for `to` from sender since the
	// given time, and whether the list reached back that far.
	Lookup(ctx context.Context, sender, to string, since time.Time) (twilio.Lookup, error)
}

// Twilio adapts *twilio.Client to Provider.
type Twilio struct{ C *twilio.Client }

// Name implements Provider.
func (Twilio) Name() string { return "twilio" }

// Send implements Provider.
func (t Twilio) Send(ctx context.Context, sender, to, body, statusCallback string) (string, error) {
	res, err := t.C.SendFrom(ctx, sender, to, body, statusCallback)
	return res.SID, err
}

// Lookup implements Provider.
func (t Twilio) Lookup(ctx context.Context, sender, to string, since time.Time) (twilio.Lookup, error) {
	return t.C.LookupFrom(ctx, sender, to, since)
}

// LogProvider "sends" by logging the masked recipient and the size of the
// text, never its body: SMS_PROVIDER=log, for development.
type LogProvider struct {
	Logger *slog.Logger
	// Clock stamps the made-up SIDs; nil is the wall clock.
	Clock clock.Clock
}

// Name implements Provider.
func (LogProvider) Name() string { return "log" }

// Send implements Provider.
func (p LogProvider) Send(ctx context.Context, _, to, body, statusCallback string) (string, error) {
	sid := fmt.Sprintf("LOG%d", p.Clock.Now().UnixNano())
	p.Logger.InfoContext(ctx, "sms sent to the log (SMS_PROVIDER=log)", "to", redact.Phone(to), "chars", len([]rune(body)), "sid", sid)
	return sid, nil
}

// Lookup implements Provider: the log keeps nothing to look up, so a
// worker killed between hand-over and record logs the text again.
func (LogProvider) Lookup(context.Context, string, string, time.Time) (twilio.Lookup, error) {
	return twilio.Lookup{Complete: true}, nil
}
