package main

import (
	"fmt"
	"log/slog"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/logging"
)

// load reads and validates the configuration and builds the logger. It
// connects to nothing, so a bad configuration stops the process first.
func load(e env) (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load(e.lookup)
	if err != nil {
		return nil, nil, err
	}
	logger, err := logging.New(e.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, nil, fmt.Errorf("logger: %w", err)
	}
	return cfg, logger, nil
}

// withDefault returns a lookup that answers def for name when the
// environment does not set it.
func withDefault(lookup func(string) (string, bool), name, def string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := lookup(k)
		if k == name && !ok {
			return def, true
		}
		return v, ok
	}
}
