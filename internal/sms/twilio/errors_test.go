package twilio_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/sms/twilio"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
)

// checkClean fails when an error text holds the auth token or the raw
// recipient number.
func checkClean(t *testing.T, err error) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte(accountSID + ":" + authToken))
	for _, secret := range []string{authToken, basic, customer, strings.TrimPrefix(customer, "+")} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error text holds %q: %v", secret, err)
		}
	}
}

func TestSendClassifiesErrors(t *testing.T) {
	t.Parallel()
	invalid := "The 'To' number " + customer + " is not a valid phone number."
	tests := []struct {
		name     string
		step     twiliofake.Step
		check    func(t *testing.T, err error)
		recorded int // messages the fake holds afterwards
	}{
		{"invalid number", twiliofake.Error(400, 21211, invalid), permanent(21211, 400), 0},
		{"not a mobile", twiliofake.Error(400, 21614, "'To' number is not a valid mobile number"), permanent(21614, 400), 0},
		{"region not enabled", twiliofake.Error(400, 21408, "Permission to send an SMS has not been enabled"), permanent(21408, 400), 0},
		{"other 4xx", twiliofake.Error(404, 20404, "The requested resource was not found"), permanent(20404, 404), 0},
		{"opted out", twiliofake.Error(400, 21610, "Attempt to send to unsubscribed recipient"), optedOut, 0},
		{"429 with Retry-After", twiliofake.RateLimited(3 * time.Second), rateLimited(3 * time.Second), 0},
		{"429 without Retry-After", twiliofake.RateLimited(0), rateLimited(twilio.DefaultRetryAfter), 0},
		{"queue full", twiliofake.Error(400, 21611, "This 'From' number has exceeded the maximum number of queued messages"), rateLimited(twilio.DefaultRetryAfter), 0},
		{"5xx", twiliofake.Error(503, 20503, "Service Unavailable"), unknown(503), 0},
		{"5xx after accepting", twiliofake.AcceptThenFail5xx(), unknown(500), 1},
		{"garbled success", twiliofake.Garbled(), unknown(201), 1},
		{"credentials refused", twiliofake.Error(401, 20003, "Authenticate"), untyped, 0},
		{"token echoed back", twiliofake.Error(400, 21212, "bad From, auth "+authToken), permanent(21212, 400), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := twiliofake.New(t, accountSID, authToken)
			f.Script(customer, tt.step)
			_, err := newClient(t, f).Send(context.Background(), customer, "hello")
			if err == nil {
				t.Fatalf("Send after %v succeeded", tt.step)
			}
			tt.check(t, err)
			checkClean(t, err)
			if n := len(f.SentTo(customer)); n != tt.recorded {
				t.Errorf("fake holds %d messages, want %d", n, tt.recorded)
			}
		})
	}
}

func permanent(code, status int) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var pe *twilio.PermanentError
		if !errors.As(err, &pe) || pe.Code != code || pe.Status != status {
			t.Fatalf("err = %#v, want *PermanentError code %d status %d", err, code, status)
		}
	}
}

func optedOut(t *testing.T, err error) {
	var oe *twilio.OptedOutError
	if !errors.As(err, &oe) || oe.Code != twilio.CodeOptedOut {
		t.Fatalf("err = %#v, want *OptedOutError", err)
	}
}

func rateLimited(after time.Duration) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var rl *twilio.RateLimitError
		if !errors.As(err, &rl) || rl.RetryAfter != after {
			t.Fatalf("err = %#v, want *RateLimitError after %s", err, after)
		}
	}
}

func unknown(status int) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var ue *twilio.UnknownOutcomeError
		if !errors.As(err, &ue) || ue.Status != status {
			t.Fatalf("err = %#v, want *UnknownOutcomeError with status %d", err, status)
		}
	}
}

// untyped is an ordinary, retryable error: none of the package's types.
func untyped(t *testing.T, err error) {
	var (
		pe *twilio.PermanentError
		oe *twilio.OptedOutError
		rl *twilio.RateLimitError
		ue *twilio.UnknownOutcomeError
	)
	if errors.As(err, &pe) || errors.As(err, &oe) || errors.As(err, &rl) || errors.As(err, &ue) {
		t.Fatalf("err = %#v, want an ordinary error", err)
	}
}

func TestWrongTokenNeverShows(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	const wrong = "0badc0de0badc0de0badc0de0badc0de"
	c := newClient(t, f, func(cfg *twilio.Config) { cfg.AuthToken = wrong })
	_, err := c.Send(context.Background(), customer, "hello")
	if err == nil {
		t.Fatal("Send with a wrong token succeeded")
	}
	untyped(t, err)
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), authToken) {
		t.Errorf("error text holds a token: %v", err)
	}
	if len(f.Messages()) != 0 {
		t.Error("the fake accepted a message with a wrong token")
	}
}

// A refused connection means the message never left: an ordinary error.
func TestConnectionRefusedIsNotUnknown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	c, err := twilio.New(twilio.Config{APIBase: "http://" + addr, AccountSID: accountSID, AuthToken: authToken, From: fromNumber})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), customer, "hello")
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	untyped(t, err)
	checkClean(t, err)
	if !strings.Contains(err.Error(), "not sent") {
		t.Errorf("err = %v, want it to say the message was not sent", err)
	}
}

// A connection dropped after the request went out leaves the outcome
// unknown: Twilio may have read it.
func TestConnectionResetAfterSendIsUnknown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm() // read the whole request, then vanish
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)

	c, err := twilio.New(twilio.Config{APIBase: srv.URL, AccountSID: accountSID, AuthToken: authToken, From: fromNumber})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), customer, "hello")
	unknown(0)(t, err)
	checkClean(t, err)
}

func TestCancelledContextSendsNothing(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newClient(t, f).Send(ctx, customer, "hello")
	untyped(t, err)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if len(f.Messages()) != 0 {
		t.Error("a cancelled send reached the fake")
	}
}
