package logging

import (
	"bytes"
	"log/slog"
	"testing"
)

// BenchmarkTaskLine is the worker's one line per task through New (with
// Redacting); BenchmarkTaskLineUnredacted the same line without it, for
// the price of redaction.
func BenchmarkTaskLine(b *testing.B) {
	logger, _ := New(&bytes.Buffer{}, "json", "info")
	for b.Loop() {
		logger.Info("task done", "kind", "sms:send", "queue", "sms", "task_id", "sms:send:123456", "attempt", 1, "duration_ms", 12.5, "outcome", "ok")
	}
}

func BenchmarkTaskLineUnredacted(b *testing.B) {
	logger := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
	for b.Loop() {
		logger.Info("task done", "kind", "sms:send", "queue", "sms", "task_id", "sms:send:123456", "attempt", 1, "duration_ms", 12.5, "outcome", "ok")
	}
}
