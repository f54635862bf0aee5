// Package logging builds the process's slog logger from LOG_LEVEL and
// LOG_FORMAT, renders every line through internal/redact (no phone
// number, address or secret reaches the log whole), and adapts it for the
// libraries that want their own logger interface (asynq).
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// New returns a logger writing to w in format ("json" or "text") at level
// ("debug", "info", "warn", "error"). Every line goes through Redacting.
func New(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "json", "":
		return slog.New(Redacting(slog.NewJSONHandler(w, opts))), nil
	case "text":
		return slog.New(Redacting(slog.NewTextHandler(w, opts))), nil
	default:
		return nil, fmt.Errorf("log format %q: want json or text", format)
	}
}

// Asynq adapts a slog logger to asynq's Logger interface, tagging every line
// with component=asynq.
type Asynq struct{ L *slog.Logger }

func (a Asynq) log(level slog.Level, args []any) {
	a.L.Log(context.Background(), level, strings.TrimSuffix(fmt.Sprint(args...), "\n"), "component", "asynq")
}

// Debug implements asynq.Logger.
func (a Asynq) Debug(args ...any) { a.log(slog.LevelDebug, args) }

// Info implements asynq.Logger.
func (a Asynq) Info(args ...any) { a.log(slog.LevelInfo, args) }

// Warn implements asynq.Logger.
func (a Asynq) Warn(args ...any) { a.log(slog.LevelWarn, args) }

// Error implements asynq.Logger.
func (a Asynq) Error(args ...any) { a.log(slog.LevelError, args) }

// Fatal implements asynq.Logger. asynq calls it only on unrecoverable
// start-up errors; the process exits through its normal path instead.
func (a Asynq) Fatal(args ...any) { a.log(slog.LevelError, args) }
