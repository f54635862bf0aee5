package twilio

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"

	twiliosdk "github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"go.opentelemetry.io/otel/trace"
)

// api returns the twilio-go Messages API bound to one call: its requests go
// to the configured API base, are cancelled with ctx, and are observed by
// the returned exchange. Call exchange.finish once the SDK has returned.
//
// twilio-go builds every URL on https://api.twilio.com and takes no
// context, so both the redirection and the cancellation live in the
// http.RoundTripper of the *http.Client handed to the SDK's client.Client.
// A RestClient per call is cheap (a few dozen small structs) and keeps
// calls from sharing that per-call state.
func (c *Client) api(ctx context.Context) (*openapi.ApiService, *exchange) {
	x := &exchange{ctx: ctx, base: c.base, next: c.transport}
	sdk := &twclient.Client{
		Credentials: twclient.NewCredentials(c.accountSID, c.authToken),
		HTTPClient: &http.Client{
			Transport: x,
			Timeout:   c.timeout,
			// Like the SDK's default client: a redirect is an answer, not
			// something to follow with the credentials attached.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	sdk.SetAccountSid(c.accountSID)
	rest := twiliosdk.NewRestClientWithParams(twiliosdk.ClientParams{
		Username: c.accountSID,
		Password: c.authToken,
		Client:   sdk,
	})
	// TWILIO_EDGE and TWILIO_REGION would rewrite the host the SDK builds;
	// the API base decides the host here, so they are ignored on purpose.
	rest.SetEdge("")
	rest.SetRegion("")
	return rest.Api, x
}

// exchange is the http.RoundTripper of one SDK call. It sends each request
// to the API base, ties it to the caller's context, and remembers what the
// SDK's errors lose: whether a request left this process (to tell "not
// sent" from "outcome unknown"), and the last answer's status and headers
// (Retry-After; the HTTP status when the body was unreadable).
type exchange struct {
	ctx  context.Context
	base *url.URL
	next http.RoundTripper

	mu      sync.Mutex
	wrote   bool
	status  int
	header  http.Header
	cleanup []func()
}

var _ http.RoundTripper = (*exchange)(nil)

// RoundTrip implements http.RoundTripper.
func (x *exchange) RoundTrip(req *http.Request) (*http.Response, error) {
	// The request's context carries the http.Client timeout; the caller's
	// context cancels it too.
	ctx, cancelCause := context.WithCancelCause(req.Context())
	cancel := func() { cancelCause(context.Cause(x.ctx)) }
	stop := context.AfterFunc(x.ctx, cancel)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: x.markWrote})
	// The caller's span too, so the traced transport puts the call in the
	// task's trace.
	ctx = trace.ContextWithSpan(ctx, trace.SpanFromContext(x.ctx))

	out := req.Clone(ctx)
	out.URL.Scheme = x.base.Scheme
	out.URL.Host = x.base.Host
	out.URL.Path = strings.TrimSuffix(x.base.Path, "/") + req.URL.Path
	out.URL.RawPath = ""
	out.Host = ""

	resp, err := x.next.RoundTrip(out)
	x.mu.Lock()
	defer x.mu.Unlock()
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	x.status, x.header = resp.StatusCode, resp.Header
	// The SDK leaves error bodies open; finish closes every body before
	// releasing its context.
	body := resp.Body
	x.cleanup = append(x.cleanup, func() {
		_ = body.Close()
		stop()
		cancel()
	})
	return resp, nil
}

func (x *exchange) markWrote() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.wrote = true
}

// finish releases the call's responses once the SDK is done with them.
func (x *exchange) finish() {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, f := range x.cleanup {
		f()
	}
	x.cleanup = nil
}

// result reports the last answer's status and headers (0 and nil when none
// arrived) and whether any request was written to a connection.
func (x *exchange) result() (status int, header http.Header, wrote bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.status, x.header, x.wrote
}
