package logging

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/salonworks/jobs/internal/redact"
)

// secretKeys are attribute keys whose values are never logged, whatever
// they hold: a caller that logs one by mistake logs "[redacted]".
var secretKeys = map[string]bool{
	"password": true, "token": true, "secret": true, "authorization": true, "api_key": true,
	"auth_token": true, "reset_url": true, "link_url": true, "body": true, "payload": true,
	"signature": true, "cookie": true,
}

// Redacting wraps h so that every line is rendered through redact: the
// message and every string value (errors and Stringers included, inside
// groups too) with phone numbers, emails, URL queries and key=value
// secrets masked, and the values of secretKeys (a payload, a body, a
// token) replaced whole. A line whose attributes name a task kind and
// carry its payload gets the payload rendered through the kind's field
// classes instead. It is the last guard: code still logs IDs rather than
// recipients.
func Redacting(h slog.Handler) slog.Handler { return redacting{h} }

type redacting struct{ next slog.Handler }

func (r redacting) Enabled(ctx context.Context, l slog.Level) bool { return r.next.Enabled(ctx, l) }

func (r redacting) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, redact.Text(rec.Message), rec.PC)
	kind := ""
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "kind" || a.Key == "task_type" {
			kind = a.Value.String()
		}
		return true
	})
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a, kind))
		return true
	})
	return r.next.Handle(ctx, out)
}

func (r redacting) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redactAttr(a, "")
	}
	return redacting{r.next.WithAttrs(clean)}
}

func (r redacting) WithGroup(name string) slog.Handler { return redacting{r.next.WithGroup(name)} }

// redactAttr renders one attribute; kind is the line's task kind, if any.
func redactAttr(a slog.Attr, kind string) slog.Attr {
	v := a.Value.Resolve()
	key := strings.ToLower(a.Key)
	switch {
	case v.Kind() == slog.KindGroup:
		attrs := v.Group()
		clean := make([]slog.Attr, len(attrs))
		for i, x := range attrs {
			clean[i] = redactAttr(x, kind)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case key == "payload" && kind != "":
		return slog.String(a.Key, redact.Payload(kind, []byte(valueString(v))))
	case secretKeys[key]:
		if valueString(v) == "" {
			return a
		}
		return slog.String(a.Key, redact.Redacted)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redact.Text(v.String()))
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, redact.Text(x.Error()))
		case []byte:
			return slog.String(a.Key, redact.Text(string(x)))
		case json.RawMessage:
			return slog.String(a.Key, redact.Text(string(x)))
		case []string:
			out := make([]string, len(x))
			for i, s := range x {
				out[i] = redact.Text(s)
			}
			return slog.Any(a.Key, out)
		case interface{ String() string }:
			return slog.String(a.Key, redact.Text(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// valueString returns v as text; bytes (json.RawMessage too) as they are.
func valueString(v slog.Value) string {
	if v.Kind() == slog.KindAny {
		switch b := v.Any().(type) {
		case []byte:
			return string(b)
		case json.RawMessage:
			return string(b)
		}
	}
	return v.String()
}
