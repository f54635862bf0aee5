// Package twilio sends SMS through Twilio's Programmable Messaging API with
// the official twilio-go SDK, and turns Twilio's answers into the typed
// errors the SMS handler acts on: PermanentError, OptedOutError,
// RateLimitError and UnknownOutcomeError.
//
// Every error other than *UnknownOutcomeError means Twilio did not accept
// the message, so sending it again cannot make a duplicate. After an
// UnknownOutcomeError, FindSent asks Twilio whether the message got there.
//
// Error messages never hold the auth token, and phone numbers in them are
// masked.
package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/internal/tracing"
)

// DefaultAPIBase is Twilio's REST API origin.
const DefaultAPIBase = "https://api.twilio.com"

// DefaultTimeout bounds one HTTP exchange with Twilio when the caller's
// http.Client sets none.
const DefaultTimeout = 10 * time.Second

// Config is what New needs. AccountSID, AuthToken and one of
// MessagingServiceSID or From are required.
type Config struct {
	// APIBase is the origin requests go to (TWILIO_API_BASE); empty means
	// DefaultAPIBase. A path, if any, is prefixed to Twilio's paths.
	APIBase string
	// AccountSID and AuthToken are the account's credentials.
	AccountSID string
	AuthToken  string
	// MessagingServiceSID sends through a Messaging Service; when set,
	// From is not sent (the service picks the sender).
	MessagingServiceSID string
	// From is the sender number, used when there is no Messaging Service.
	From string
	// StatusCallback is the URL Twilio posts delivery status to; empty
	// leaves the Messaging Service's own setting.
	StatusCallback string
	// HTTPClient, if set, supplies the transport and the per-request
	// timeout (DefaultTimeout when it has none). Tests use it.
	HTTPClient *http.Client
	// TracerProvider receives a client span per request made under a
	// traced context; nil traces nothing.
	TracerProvider trace.TracerProvider
}

// Client sends SMS through Twilio. It is safe for concurrent use.
type Client struct {
	accountSID     string
	authToken      string
	service        string
	from           string
	statusCallback string
	base           *url.URL
	transport      http.RoundTripper
	timeout        time.Duration
}

// SendResult is what Twilio answered to an accepted message.
type SendResult struct {
	// SID is Twilio's message SID ("SM…").
	SID string
	// Status is Twilio's initial status: "queued", or "accepted" through a
	// Messaging Service.
	Status string
	// Segments is Twilio's num_segments. Twilio reports 0 for Messaging
	// Service messages until a sender is chosen.
	Segments int
}

// twilio-go refuses credentials that are not plain letters and digits.
var alphanumeric = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// New checks cfg and returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	var errs []error
	if !alphanumeric.MatchString(cfg.AccountSID) {
		errs = append(errs, errors.New("account SID must be letters and digits (like AC0123…)"))
	}
	if !alphanumeric.MatchString(cfg.AuthToken) {
		// Never quote the token, not even a wrong one.
		errs = append(errs, errors.New("auth token must be letters and digits"))
	}
	if cfg.MessagingServiceSID == "" && cfg.From == "" {
		errs = append(errs, errors.New("a messaging service SID or a from number is required"))
	}
	apiBase := cfg.APIBase
	if apiBase == "" {
		apiBase = DefaultAPIBase
	}
	base, err := parseOrigin(apiBase)
	if err != nil {
		errs = append(errs, fmt.Errorf("API base: %w", err))
	}
	if cfg.StatusCallback != "" {
		if _, err := parseOrigin(cfg.StatusCallback); err != nil {
			errs = append(errs, fmt.Errorf("status callback: %w", err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("twilio config: %w", errors.Join(errs...))
	}

	c := &Client{
		accountSID:     cfg.AccountSID,
		authToken:      cfg.AuthToken,
		service:        cfg.MessagingServiceSID,
		from:           cfg.From,
		statusCallback: cfg.StatusCallback,
		base:           base,
		timeout:        DefaultTimeout,
	}
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		tr := t.Clone()
		tr.MaxIdleConnsPerHost = 32 // a worker sends 10 at a time, more with several queues
		c.transport = tr
	} else {
		c.transport = http.DefaultTransport
	}
	if hc := cfg.HTTPClient; hc != nil {
		if hc.Transport != nil {
			c.transport = hc.Transport
		}
		if hc.Timeout > 0 {
			c.timeout = hc.Timeout
		}
	}
	if !tracing.IsOff(cfg.TracerProvider) {
		c.transport = tracing.Transport(c.transport, cfg.TracerProvider, "twilio", route)
	}
	return c, nil
}

// IsMessagingService reports whether sender is a Messaging Service SID
// rather than a number.
func IsMessagingService(sender string) bool { return strings.HasPrefix(sender, "MG") }

// sender splits a per-message sender into the Messaging Service or the
// number to send from; empty is the configured one.
func (c *Client) sender(sender string) (service, from string) {
	switch {
	case sender == "":
		return c.service, c.from
	case IsMessagingService(sender):
		return sender, ""
	default:
		return "", sender
	}
}

// parseOrigin accepts an absolute http(s) URL without credentials.
func parseOrigin(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	case u.Host == "":
		return nil, errors.New("no host")
	case u.User != nil:
		return nil, errors.New("must not hold credentials")
	}
	return u, nil
}

// Send asks Twilio to send body to the number to. ctx cancels the request.
//
// Errors: *PermanentError, *OptedOutError and *RateLimitError for Twilio's
// refusals; *UnknownOutcomeError when Twilio may have accepted the message
// (timeout, connection lost after sending, 5xx, unreadable answer); any
// other error means the message certainly did not reach Twilio.
func (c *Client) Send(ctx context.Context, to, body string) (SendResult, error) {
	return c.SendWithCallback(ctx, to, body, c.statusCallback)
}

// SendWithCallback is Send with this message's own StatusCallback URL (for
// example one naming the outbox row); empty means none.
func (c *Client) SendWithCallback(ctx context.Context, to, body, statusCallback string) (SendResult, error) {
	return c.SendFrom(ctx, "", to, body, statusCallback)
}

// SendFrom is SendWithCallback from sender: a Messaging Service SID
// ("MG…") or a number; empty means the configured sender. A salon with a
// sender of its own sends every text from it.
func (c *Client) SendFrom(ctx context.Context, sender, to, body, statusCallback string) (SendResult, error) {
	if err := ctx.Err(); err != nil {
		return SendResult{}, fmt.Errorf("twilio send to %s: not sent: %w", mask(to), err)
	}
	params := &openapi.CreateMessageParams{}
	params.SetTo(to).SetBody(body)
	if service, from := c.sender(sender); service != "" {
		params.SetMessagingServiceSid(service)
	} else {
		params.SetFrom(from)
	}
	if statusCallback != "" {
		params.SetStatusCallback(statusCallback)
	}

	api, x := c.api(ctx)
	msg, err := api.CreateMessage(params)
	x.finish()
	if err != nil {
		return SendResult{}, c.classifySend(to, x, err)
	}
	if msg == nil || msg.Sid == nil || *msg.Sid == "" {
		status, _, _ := x.result()
		return SendResult{}, &UnknownOutcomeError{
			To: mask(to), Status: status, Reason: "the answer holds no message SID",
		}
	}
	res := SendResult{SID: *msg.Sid}
	if msg.Status != nil {
		res.Status = *msg.Status
	}
	if msg.NumSegments != nil {
		res.Segments, _ = strconv.Atoi(*msg.NumSegments) // informative only
	}
	return res, nil
}
