// Package tracingtest helps tests look at the spans the daemon exports:
// an OTLP/HTTP receiver that decodes what the real exporter posts, an
// in-memory provider, and the check that no attribute holds a phone
// number or an email address.
package tracingtest

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one received span, reduced to what tests compare.
type Span struct {
	Name         string
	TraceID      string
	SpanID       string
	ParentSpanID string // "" for a root span
	Service      string // the resource's service.name
	Attrs        map[string]string
}

// Receiver is an OTLP/HTTP trace receiver: POST /v1/traces with a
// protobuf ExportTraceServiceRequest, as otlptracehttp sends it.
type Receiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []Span
}

// NewReceiver starts a receiver, closed when t ends.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the receiver's base URL, an OTEL_EXPORTER_OTLP_ENDPOINT.
func (r *Receiver) URL() string { return r.srv.URL }

// Spans returns every span received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans)
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.NotFound(w, req)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var got []Span
	for _, rs := range msg.GetResourceSpans() {
		service := attrs(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				got = append(got, Span{
					Name:         s.GetName(),
					TraceID:      hex.EncodeToString(s.GetTraceId()),
					SpanID:       hex.EncodeToString(s.GetSpanId()),
					ParentSpanID: hex.EncodeToString(s.GetParentSpanId()),
					Service:      service,
					Attrs:        attrs(s.GetAttributes()),
				})
			}
		}
	}
	r.mu.Lock()
	r.spans = append(r.spans, got...)
	r.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = fmt.Sprint(v.IntValue)
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = fmt.Sprint(v.DoubleValue)
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = fmt.Sprint(v.BoolValue)
		default:
			m[kv.GetKey()] = fmt.Sprint(v)
		}
	}
	return m
}

// NewRecorder returns a provider that records every span, synchronously,
// in the returned exporter; it is shut down when t ends.
func NewRecorder(t testing.TB) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// Recorded returns the spans of exp in the Receiver's form.
func Recorded(exp *tracetest.InMemoryExporter) []Span {
	var out []Span
	for _, s := range exp.GetSpans() {
		sp := Span{
			Name:    s.Name,
			TraceID: s.SpanContext.TraceID().String(),
			SpanID:  s.SpanContext.SpanID().String(),
			Attrs:   map[string]string{},
		}
		if s.Parent.IsValid() {
			sp.ParentSpanID = s.Parent.SpanID().String()
		}
		for _, kv := range s.Attributes {
			sp.Attrs[string(kv.Key)] = kv.Value.String()
		}
		out = append(out, sp)
	}
	return out
}

// Personal data in the forms it would take in an attribute: an E.164
// number (spaces, dashes and brackets allowed) and an email address.
var (
	phonePattern = regexp.MustCompile(`\+[1-9][0-9 ()-]{7,}`)
	emailPattern = regexp.MustCompile(`[^@\s]+@[^@\s]+\.[a-zA-Z]{2,}`)
	// digitRun is a number as a phone number may be written.
	digitRun = regexp.MustCompile(`[0-9][0-9 ()-]*[0-9]`)
)

// CheckNoPersonalData fails t for every attribute of spans whose value
// looks like an E.164 number or an email address, or holds the digits of
// one of the phone numbers the test used (in any national form) or one of
// its other values (an email address, a body).
func CheckNoPersonalData(t testing.TB, spans []Span, phones []string, values ...string) {
	t.Helper()
	for _, s := range spans {
		for k, v := range s.Attrs {
			if phonePattern.MatchString(v) || emailPattern.MatchString(v) {
				t.Errorf("span %q: attribute %s = %q looks like a phone number or an email address", s.Name, k, v)
			}
			for _, run := range digitRun.FindAllString(v, -1) {
				digits := onlyDigits(run)
				for _, p := range phones {
					// The subscriber part: the last 7 digits of the number.
					if p := onlyDigits(p); len(p) >= 7 && strings.Contains(digits, p[len(p)-7:]) {
						t.Errorf("span %q: attribute %s = %q holds the phone number %s", s.Name, k, v, p)
					}
				}
			}
			for _, x := range values {
				if x != "" && strings.Contains(strings.ToLower(v), strings.ToLower(x)) {
					t.Errorf("span %q: attribute %s = %q holds %q", s.Name, k, v, x)
				}
			}
		}
	}
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// Find returns the spans named name.
func Find(spans []Span, name string) []Span {
	var out []Span
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}
