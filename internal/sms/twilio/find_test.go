package twilio_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/sms/twilio"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
)

// The reconciler's case: Twilio accepted the message but the answer was
// lost. Send says the outcome is unknown, and FindSent finds the message.
func TestUnknownOutcomeIsFound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		step twiliofake.Step
	}{
		{"5xx after accepting", twiliofake.AcceptThenFail5xx()},
		{"hang beyond the http timeout", twiliofake.Hang(5 * time.Second)},
		{"garbled answer", twiliofake.Garbled()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := twiliofake.New(t, accountSID, authToken)
			c := newClient(t, f, func(cfg *twilio.Config) {
				cfg.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
			})
			const body = "Hi Ana, your appointment is confirmed for 10:00."
			claimed := time.Now()
			f.Script(customer, tt.step)

			_, err := c.Send(context.Background(), customer, body)
			var ue *twilio.UnknownOutcomeError
			if !errors.As(err, &ue) {
				t.Fatalf("Send = %v, want *UnknownOutcomeError", err)
			}
			checkClean(t, err)
			accepted := f.SentTo(customer)
			if len(accepted) != 1 {
				t.Fatalf("fake holds %d messages, want 1", len(accepted))
			}

			sid, found, err := c.FindSent(context.Background(), customer, claimed, body)
			if err != nil || !found || sid != accepted[0].SID {
				t.Fatalf("FindSent = %q, %v, %v; want %q, true", sid, found, err, accepted[0].SID)
			}
		})
	}
}

func TestFindSent(t *testing.T) {
	t.Parallel()
	const body = "Thanks for visiting Salon Rosa! Leave a review: https://r.example/x"
	f := twiliofake.New(t, accountSID, authToken)
	c := newClient(t, f)
	claimed := time.Now()
	res, err := c.Send(context.Background(), customer, body)
	if err != nil {
		t.Fatal(err)
	}
	// Newer messages to the same number push the target past the first
	// page: FindSent follows Twilio's next_page_uri.
	for i := range 60 {
		if _, err := c.Send(context.Background(), customer, fmt.Sprintf("campaign %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Send(context.Background(), "+15555550999", body); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		to, body  string
		since     time.Time
		wantFound bool
	}{
		{"queued message on a later page", customer, body, claimed, true},
		{"other body", customer, body + ".", claimed, false},
		{"claimed after it was created", customer, body, claimed.Add(2 * time.Second), false},
		{"other number", "+15555550888", body, claimed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid, found, err := c.FindSent(context.Background(), tt.to, tt.since, tt.body)
			if err != nil {
				t.Fatalf("FindSent: %v", err)
			}
			if found != tt.wantFound || found && sid != res.SID {
				t.Errorf("FindSent = %q, %v; want found=%v (SID %q)", sid, found, tt.wantFound, res.SID)
			}
		})
	}

	// Once sent, Twilio's DateSent filter finds it in the first look.
	if err := f.SetStatus(res.SID, "delivered"); err != nil {
		t.Fatal(err)
	}
	sid, found, err := c.FindSent(context.Background(), customer, claimed, body)
	if err != nil || !found || sid != res.SID {
		t.Errorf("FindSent after delivery = %q, %v, %v; want %q", sid, found, err, res.SID)
	}
}

// With a From number, messages from other senders do not count.
func TestFindSentOnlyOwnSender(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	other := newClient(t, f, func(cfg *twilio.Config) { cfg.MessagingServiceSID, cfg.From = "", "+15550002222" })
	mine := newClient(t, f, func(cfg *twilio.Config) { cfg.MessagingServiceSID, cfg.From = "", fromNumber })
	claimed := time.Now()
	if _, err := other.Send(context.Background(), customer, "hello"); err != nil {
		t.Fatal(err)
	}
	if _, found, err := mine.FindSent(context.Background(), customer, claimed, "hello"); err != nil || found {
		t.Errorf("FindSent = %v, %v; want not found", found, err)
	}
}

func TestFindSentErrors(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	c := newClient(t, f, func(cfg *twilio.Config) { cfg.AuthToken = "0badc0de0badc0de0badc0de0badc0de" })
	_, found, err := c.FindSent(context.Background(), customer, time.Now(), "hello")
	if err == nil || found {
		t.Fatalf("FindSent with a wrong token = %v, %v; want an error", found, err)
	}
	checkClean(t, err)
}
