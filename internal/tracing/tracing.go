// Package tracing sets up OpenTelemetry tracing from the standard OTEL_*
// variables and holds the instrumentation the daemon shares: W3C trace
// context carried in task headers, spans around outgoing HTTP calls and
// around Postgres statements.
//
// With no exporter configured the provider is OpenTelemetry's no-op one:
// starting a span then allocates nothing and records nothing, so tracing
// costs nothing measurable when it is off.
//
// Span attributes never hold a phone number, an email address, a message
// body or a secret: HTTP spans name the method, host and a route whose
// identifiers are replaced by placeholders, never a query string; SQL is
// recorded with its placeholders ($1), masked again in case a literal
// slipped in.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// InstrumentationName names the tracer of every span the daemon starts.
const InstrumentationName = "github.com/salonworks/jobs"

// DefaultServiceName is service.name when OTEL_SERVICE_NAME is unset.
const DefaultServiceName = "jobs"

// Settings are the OTEL_* variables that decide whether and how spans are
// exported. The SDK reads the others itself from the environment
// (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*).
type Settings struct {
	// SDKDisabled is OTEL_SDK_DISABLED: true turns tracing off whatever
	// else is set.
	SDKDisabled bool
	// Exporter is OTEL_TRACES_EXPORTER: "otlp", "none", or "" for otlp
	// when an endpoint is set and none otherwise.
	Exporter string
	// Endpoint is OTEL_EXPORTER_OTLP_ENDPOINT, the collector's base URL
	// (http://localhost:4318); spans go to its /v1/traces.
	Endpoint string
	// TracesEndpoint is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, the full URL
	// spans are posted to; it wins over Endpoint.
	TracesEndpoint string
	// Protocol is OTEL_EXPORTER_OTLP_PROTOCOL (or its _TRACES_ variant):
	// only http/protobuf is built in.
	Protocol string
	// ServiceName is OTEL_SERVICE_NAME; "" is DefaultServiceName.
	ServiceName string
	// Sampler and SamplerArg are OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG; "" is parentbased_always_on.
	Sampler, SamplerArg string
	// Version is service.version.
	Version string
}

// Enabled reports whether s configures an exporter.
func (s Settings) Enabled() bool {
	if s.SDKDisabled {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(s.Exporter)) {
	case "none":
		return false
	case "":
		return s.Endpoint != "" || s.TracesEndpoint != ""
	default:
		return true
	}
}

// Validate reports every value Setup would refuse.
func (s Settings) Validate() error {
	var errs []error
	switch strings.ToLower(strings.TrimSpace(s.Exporter)) {
	case "", "otlp", "none":
	default:
		errs = append(errs, fmt.Errorf("OTEL_TRACES_EXPORTER %q: want otlp or none", s.Exporter))
	}
	switch s.Protocol {
	case "", "http/protobuf":
	default:
		errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: only http/protobuf is supported (the collector's port 4318)", s.Protocol))
	}
	if _, err := s.sampler(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Provider is a tracer provider and the way to flush it.
type Provider struct {
	trace.TracerProvider
	shutdown func(context.Context) error
}

// Off returns the no-op provider.
func Off() *Provider {
	return &Provider{TracerProvider: noop.NewTracerProvider(), shutdown: func(context.Context) error { return nil }}
}

// Shutdown exports the spans still buffered and stops the exporter.
func (p *Provider) Shutdown(ctx context.Context) error { return p.shutdown(ctx) }

// Setup returns the provider s configures: a batching OTLP/HTTP exporter,
// or Off when no exporter is configured. It connects to nothing: spans
// that cannot be delivered are dropped, and the process runs on.
func Setup(ctx context.Context, s Settings) (*Provider, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !s.Enabled() {
		return Off(), nil
	}
	var opts []otlptracehttp.Option
	switch {
	case s.TracesEndpoint != "":
		opts = append(opts, otlptracehttp.WithEndpointURL(s.TracesEndpoint))
	case s.Endpoint != "":
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(s.Endpoint, "/")+"/v1/traces"))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	sampler, _ := s.sampler()
	name := s.ServiceName
	if name == "" {
		name = DefaultServiceName
	}
	// The environment's OTEL_RESOURCE_ATTRIBUTES come first so the service
	// name and version here win over a stale one there.
	res, err := resource.Merge(resource.Environment(), resource.NewSchemaless(
		attribute.String("service.name", name),
		attribute.String("service.version", s.Version),
	))
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sampler),
		sdktrace.WithResource(res),
	)
	return &Provider{TracerProvider: tp, shutdown: tp.Shutdown}, nil
}

// sampler reads OTEL_TRACES_SAMPLER the way the specification names them.
func (s Settings) sampler() (sdktrace.Sampler, error) {
	ratio := func() (float64, error) {
		if s.SamplerArg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(s.SamplerArg, 64)
		if err != nil || r < 0 || r > 1 {
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG %q: want a ratio from 0 to 1", s.SamplerArg)
		}
		return r, nil
	}
	switch strings.ToLower(strings.TrimSpace(s.Sampler)) {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio":
		r, err := ratio()
		return sdktrace.TraceIDRatioBased(r), err
	case "parentbased_traceidratio":
		r, err := ratio()
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), err
	default:
		return nil, fmt.Errorf("OTEL_TRACES_SAMPLER %q: want always_on, always_off, traceidratio or their parentbased_ forms", s.Sampler)
	}
}

// IsOff reports whether tp records nothing: nil, the no-op provider, or a
// Provider holding it. Instrumentation then stays out of the way entirely.
func IsOff(tp trace.TracerProvider) bool {
	if p, ok := tp.(*Provider); ok {
		if p == nil {
			return true
		}
		tp = p.TracerProvider
	}
	switch tp.(type) {
	case nil, noop.TracerProvider, *noop.TracerProvider:
		return true
	}
	return false
}

// Tracer returns the daemon's tracer from tp; a nil tp (or nil *Provider)
// is the no-op one.
func Tracer(tp trace.TracerProvider) trace.Tracer {
	if IsOff(tp) {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(InstrumentationName)
}
