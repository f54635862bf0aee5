// Package twiliofake is an in-process fake of Twilio's Programmable
// Messaging REST API (the 2010-04-01 Messages resource), for tests that run
// the real twilio-go SDK against it.
//
// It answers POST and GET on /2010-04-01/Accounts/{AccountSid}/Messages.json
// in Twilio's JSON shapes, checks HTTP basic auth, and lets a test script the
// answers each recipient gets: acceptance, Twilio errors, rate limiting, and
// the awkward cases where Twilio accepted a message but the caller never
// learned it (a 5xx, a hang, a garbled body).
package twiliofake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/clock"
)

// Message is one message the fake accepted, as Twilio would store it.
type Message struct {
	// SID is Twilio's message SID, "SM" and 32 hex digits.
	SID string
	// To is the recipient as sent.
	To string
	// From is the sender number as sent (empty when a Messaging Service
	// picks the sender).
	From string
	// MessagingServiceSID is the Messaging Service as sent, if any.
	MessagingServiceSID string
	// Body is the message text.
	Body string
	// StatusCallback is the URL Twilio would post status changes to.
	StatusCallback string
	// Status is "accepted" (Messaging Service) or "queued" (From number)
	// until SetStatus changes it.
	Status string
	// Segments is the number of SMS segments the body takes.
	Segments int
	// DateCreated is when the fake accepted the message.
	DateCreated time.Time
	// DateSent is when the message was sent; zero until SetStatus moves it
	// to sent, delivered or undelivered.
	DateSent time.Time
}

// Fake is a running fake of Twilio's Messages API. It is safe for
// concurrent use.
type Fake struct {
	accountSID string
	authToken  string
	srv        *httptest.Server
	done       chan struct{} // closed at cleanup, releases hanging answers

	mu       sync.Mutex
	clock    clock.Clock
	scripts  map[string][]Step
	messages []Message
}

// New starts a fake that accepts accountSID and authToken as basic-auth
// credentials. The server is closed when t's cleanup runs.
func New(t testing.TB, accountSID, authToken string) *Fake {
	t.Helper()
	f := &Fake{
		accountSID: accountSID,
		authToken:  authToken,
		done:       make(chan struct{}),
		scripts:    make(map[string][]Step),
	}
	f.srv = httptest.NewServer(f.routes())
	t.Cleanup(func() {
		close(f.done)
		f.srv.Close()
	})
	return f
}

// URL returns the fake's base URL, for the client's API base
// (TWILIO_API_BASE).
func (f *Fake) URL() string { return f.srv.URL }

// SetClock replaces the fake's clock (nil is the wall clock), which stamps
// date_created and date_sent.
func (f *Fake) SetClock(c clock.Clock) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock = c
}

// Script appends steps to the answers that sends to the number to get, one
// step per send, in order. Once the script is used up, sends are accepted.
func (f *Fake) Script(to string, steps ...Step) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[to] = append(f.scripts[to], steps...)
}

// Messages returns every message the fake accepted, oldest first.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.messages)
}

// SentTo returns the messages the fake accepted for the number to, oldest
// first.
func (f *Fake) SentTo(to string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.messages {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// SetStatus moves the message sid to status, as Twilio does while it sends.
// Moving it to sent, delivered or undelivered stamps its DateSent, which
// the list endpoint's DateSent filters use.
func (f *Fake) SetStatus(sid, status string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.messages {
		m := &f.messages[i]
		if m.SID != sid {
			continue
		}
		m.Status = status
		switch status {
		case "sent", "delivered", "undelivered":
			if m.DateSent.IsZero() {
				m.DateSent = f.clock.Now().UTC()
			}
		}
		return nil
	}
	return fmt.Errorf("twiliofake: no message %s", sid)
}

// nextStep pops the next scripted step for to.
func (f *Fake) nextStep(to string) Step {
	f.mu.Lock()
	defer f.mu.Unlock()
	steps := f.scripts[to]
	if len(steps) == 0 {
		return Accept()
	}
	f.scripts[to] = steps[1:]
	return steps[0]
}

// record stores an accepted message, giving it a SID and a date.
func (f *Fake) record(m Message) Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	m.SID = newSID()
	m.DateCreated = f.clock.Now().UTC()
	m.Status = "queued"
	if m.MessagingServiceSID != "" {
		m.Status = "accepted"
	}
	f.messages = append(f.messages, m)
	return m
}

// newSID returns a message SID: "SM" and 32 random hex digits, unique across
// fakes so tests sharing a database never see two messages with one SID.
func newSID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return "SM" + hex.EncodeToString(b)
}
