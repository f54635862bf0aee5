package main

import (
	"log/slog"

	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/config"
)

// load reads the variables command uses and builds the logger on stderr.
func load(e env, command string) (*config.Config, *slog.Logger, error) {
	return app.Load(command, e.lookup, e.stderr)
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
