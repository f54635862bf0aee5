package app

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/logging"
)

// Load reads and validates the variables command uses (config.LoadFor)
// and builds the logger writing to logOut. It connects to nothing, so a
// bad configuration stops the process first.
func Load(command string, lookup func(string) (string, bool), logOut io.Writer) (*config.Config, *slog.Logger, error) {
	cfg, err := config.LoadFor(command, lookup)
	if err != nil {
		return nil, nil, err
	}
	logger, err := logging.New(logOut, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, nil, fmt.Errorf("logger: %w", err)
	}
	return cfg, logger, nil
}
