package twilio_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/salonworks/jobs/internal/sms/twilio"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "f00dfeedf00dfeedf00dfeedf00dfeed"
	serviceSID = "MG0123456789abcdef0123456789abcdef"
	fromNumber = "+15550001111"
	callback   = "https://jobs.example.com/webhooks/twilio/status"
	customer   = "+15555550123"
)

// newClient returns a client of the fake, through the Messaging Service
// unless edit says otherwise.
func newClient(t *testing.T, f *twiliofake.Fake, edit ...func(*twilio.Config)) *twilio.Client {
	t.Helper()
	cfg := twilio.Config{
		APIBase:             f.URL(),
		AccountSID:          accountSID,
		AuthToken:           authToken,
		MessagingServiceSID: serviceSID,
		StatusCallback:      callback,
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := twilio.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestSendRecordsMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		edit       func(*twilio.Config)
		body       string
		want       twiliofake.Message
		wantResult twilio.SendResult
	}{
		{
			name: "messaging service",
			edit: func(*twilio.Config) {},
			body: "Hi Ana, see you tomorrow at 10:00 at Salon Rosa.",
			want: twiliofake.Message{
				To: customer, MessagingServiceSID: serviceSID, StatusCallback: callback,
				Body: "Hi Ana, see you tomorrow at 10:00 at Salon Rosa.", Status: "accepted", Segments: 1,
			},
			wantResult: twilio.SendResult{Status: "accepted", Segments: 1},
		},
		{
			name: "from number, no callback, emoji body",
			edit: func(c *twilio.Config) { c.MessagingServiceSID, c.From, c.StatusCallback = "", fromNumber, "" },
			body: "Merci Zoé 💇 " + strings.Repeat("x", 60),
			want: twiliofake.Message{
				To: customer, From: fromNumber,
				Body: "Merci Zoé 💇 " + strings.Repeat("x", 60), Status: "queued", Segments: 2,
			},
			wantResult: twilio.SendResult{Status: "queued", Segments: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := twiliofake.New(t, accountSID, authToken)
			c := newClient(t, f, tt.edit)

			res, err := c.Send(context.Background(), customer, tt.body)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := f.SentTo(customer)
			if len(got) != 1 {
				t.Fatalf("fake holds %d messages, want 1", len(got))
			}
			if !strings.HasPrefix(res.SID, "SM") || res.SID != got[0].SID {
				t.Errorf("SID = %q, fake recorded %q", res.SID, got[0].SID)
			}
			tt.wantResult.SID = res.SID
			if diff := cmp.Diff(tt.wantResult, res); diff != "" {
				t.Errorf("SendResult (-want +got):\n%s", diff)
			}
			ignore := cmpopts.IgnoreFields(twiliofake.Message{}, "SID", "DateCreated")
			if diff := cmp.Diff(tt.want, got[0], ignore); diff != "" {
				t.Errorf("recorded message (-want +got):\n%s", diff)
			}
		})
	}
}

// An API base with a path, as behind a gateway, prefixes Twilio's paths.
func TestAPIBaseWithPath(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	target, _ := url.Parse(f.URL())
	var (
		mu    sync.Mutex
		paths []string
	)
	gateway := httptest.NewServer(http.StripPrefix("/twilio", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	})))
	t.Cleanup(gateway.Close)

	c := newClient(t, f, func(cfg *twilio.Config) { cfg.APIBase = gateway.URL + "/twilio/" })
	if _, err := c.Send(context.Background(), customer, "hello"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := []string{"/2010-04-01/Accounts/" + accountSID + "/Messages.json"}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("paths at the gateway (-want +got):\n%s", diff)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	good := twilio.Config{AccountSID: accountSID, AuthToken: authToken, From: fromNumber}
	tests := []struct {
		name string
		edit func(*twilio.Config)
		want string
	}{
		{"no sender", func(c *twilio.Config) { c.From = "" }, "messaging service SID or a from number"},
		{"no account", func(c *twilio.Config) { c.AccountSID = "" }, "account SID"},
		{"token with symbols", func(c *twilio.Config) { c.AuthToken = "s3cr3t!token" }, "auth token"},
		{"relative base", func(c *twilio.Config) { c.APIBase = "/twilio" }, "API base"},
		{"base with credentials", func(c *twilio.Config) { c.APIBase = "https://u:p@api.example.com" }, "credentials"},
		{"ftp callback", func(c *twilio.Config) { c.StatusCallback = "ftp://example.com/cb" }, "status callback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tt.edit(&cfg)
			_, err := twilio.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error about %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error quotes the auth token: %v", err)
			}
		})
	}
	if _, err := twilio.New(good); err != nil {
		t.Errorf("New(good) = %v", err)
	}
}

// Send stops waiting when its context ends although twilio-go takes no
// context; the request had left, so the outcome is unknown.
func TestSendHonoursContext(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	f.Script(customer, twiliofake.Hang(5*time.Second))
	c := newClient(t, f)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, customer, "hello")
	var unknown *twilio.UnknownOutcomeError
	if !errors.As(err, &unknown) {
		t.Fatalf("Send = %v, want *UnknownOutcomeError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if n := len(f.SentTo(customer)); n != 1 {
		t.Errorf("fake holds %d messages, want 1 (accepted before the hang)", n)
	}
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	c := newClient(t, f)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := c.Send(context.Background(), customer, fmt.Sprintf("message %d", i)); err != nil {
				t.Errorf("Send %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := len(f.SentTo(customer)); n != 20 {
		t.Errorf("fake holds %d messages, want 20", n)
	}
}
