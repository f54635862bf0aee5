package tracing

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Route names the operation of a request for its span, with every
// identifier that could name a customer or an account replaced by a
// placeholder. It must never return the query string.
type Route func(*http.Request) string

// Transport returns next wrapped so each request under a traced context
// gets a client span: "<peer> <route>", with the method, the host, the
// route and the response status. A request without a span in its context
// is passed through untouched, so background passes add no spans and an
// untraced request pays one context lookup, and with tp off (IsOff) next
// is returned as it is. No header is added to the
// request: the providers are third parties, and a signed request must
// reach them as signed.
//
// contrib's otelhttp was not used: it records url.full with the query
// string, where Twilio's list calls carry phone numbers, and offers no
// hook to drop it.
func Transport(next http.RoundTripper, tp trace.TracerProvider, peer string, route Route) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if IsOff(tp) {
		return next
	}
	return &transport{next: next, tracer: Tracer(tp), peer: peer, route: route}
}

type transport struct {
	next   http.RoundTripper
	tracer trace.Tracer
	peer   string
	route  Route
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !trace.SpanContextFromContext(req.Context()).IsValid() {
		return t.next.RoundTrip(req)
	}
	route := ""
	if t.route != nil {
		route = t.route(req)
	}
	name := t.peer + " " + req.Method
	if route != "" {
		name = t.peer + " " + route
	}
	ctx, span := t.tracer.Start(req.Context(), name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", req.Method),
			attribute.String("server.address", req.URL.Hostname()),
			attribute.String("peer.service", t.peer),
			attribute.String("http.route", route),
		))
	defer span.End()
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		// The error's text may quote the URL; the span says only that the
		// exchange failed.
		span.SetStatus(codes.Error, "request failed")
		span.SetAttributes(attribute.String("error.type", "transport"))
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, "HTTP "+strconv.Itoa(resp.StatusCode))
		span.SetAttributes(attribute.String("error.type", strconv.Itoa(resp.StatusCode)))
	}
	return resp, nil
}

// Doer is an HTTP client as the AWS SDK takes it (aws.HTTPClient).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Client returns next wrapped like Transport, for clients configured by
// their Do method (the AWS SDK's HTTPClient).
func Client(next Doer, tp trace.TracerProvider, peer string, route Route) Doer {
	if next == nil {
		next = http.DefaultClient
	}
	if IsOff(tp) {
		return next
	}
	return doer{next: next, t: Transport(roundTripFunc(next.Do), tp, peer, route)}
}

type doer struct {
	next Doer
	t    http.RoundTripper
}

// Do implements Doer.
func (d doer) Do(req *http.Request) (*http.Response, error) { return d.t.RoundTrip(req) }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
