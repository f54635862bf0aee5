package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/version"
)

var flagErrHelp = flag.ErrHelp

func runConfig(ctx context.Context, e env, args []string) error {
	fs := flags(e, "config", "config", `Prints every environment variable jobs reads, with its default, when it is
required, which commands use it and what it is for. Each command checks
only the variables it uses. Nothing is read from the environment.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	return config.Usage(e.stdout)
}

func runVersion(ctx context.Context, e env, args []string) error {
	fs := flags(e, "version", "version", "Prints the version of this build.")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, version.String())
	return nil
}

func runHealthcheck(ctx context.Context, e env, args []string) error {
	fs := flags(e, "healthcheck", "healthcheck", `Exits 0 when /health/live answers 200 on the local HTTP_ADDR port within
3 seconds, 1 otherwise: a container health check for images without a shell.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	addr, ok := e.lookup("HTTP_ADDR")
	if !ok || addr == "" {
		addr = ":8080"
	}
	url := "http://127.0.0.1" + portOf(addr) + "/health/live"
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", url, resp.StatusCode)
	}
	return nil
}

// portOf returns ":PORT" of a listen address such as ":8080" or
// "0.0.0.0:8080".
func portOf(addr string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil {
		return ":" + port
	}
	return ":" + strings.TrimPrefix(addr, ":")
}
