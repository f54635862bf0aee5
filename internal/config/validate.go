package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/salonworks/jobs/queues"
)

// maxShutdownTimeout leaves ECS's longest stopTimeout (120 s) ten seconds
// to flush logs and close connections after the tasks have been let go.
const maxShutdownTimeout = 110 * time.Second

// validate checks every rule between the variables; each rule skips the
// variables that did not parse, which already have their problem.
func (l *loader) validate(c *Config) {
	l.validateProcess(c)
	l.validateDatabase(c)
	l.validateRedis(c)
	l.validateSMS(c)
	l.validateEmail(c)
	l.validateStorage(c)
	l.validateAdmin(c)
}

func (l *loader) validateProcess(c *Config) {
	if m := oneOf(c.AppEnv, EnvProduction, EnvStaging, EnvDevelopment, EnvTest); m != "" {
		l.add("APP_ENV", m)
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || !validPort(port, 0) {
		l.add("HTTP_ADDR", fmt.Sprintf("%q is not host:port (like :8080)", c.HTTPAddr))
	}
	if m := oneOf(c.LogLevel, "debug", "info", "warn", "error"); m != "" {
		l.add("LOG_LEVEL", m)
	}
	if m := oneOf(c.LogFormat, "json", "text"); m != "" {
		l.add("LOG_FORMAT", m)
	}
	if _, err := queues.Select(c.WorkerQueues); err != nil {
		l.add("WORKER_QUEUES", err.Error())
	}
	if !l.failed["SHUTDOWN_TIMEOUT"] {
		switch {
		case c.ShutdownTimeout <= 0:
			l.add("SHUTDOWN_TIMEOUT", "must be positive")
		case c.ShutdownTimeout > maxShutdownTimeout:
			l.add("SHUTDOWN_TIMEOUT", fmt.Sprintf("%s is over 1m50s: ECS kills the task at most 120s after SIGTERM", c.ShutdownTimeout))
		}
	}
	l.checkURL("PUBLIC_BASE_URL", c.PublicBaseURL, true)
	l.checkURL("API_BASE_URL", c.APIBaseURL, false)
	if c.APIBaseURL != "" && c.APIKey == "" && !c.Development() {
		l.add("API_KEY", fmt.Sprintf("required in %s when API_BASE_URL is set", deployedEnv(c)))
	}
}

// deployedEnv names the environment in "required in ..." messages; an
// unknown APP_ENV is validated as production.
func deployedEnv(c *Config) string {
	if c.AppEnv == EnvStaging {
		return EnvStaging
	}
	return EnvProduction
}

// validPort reports whether s is a port number from lowest to 65535.
func validPort(s string, lowest int) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= lowest && n <= 65535
}

// checkPort adds a problem when a parsed port is out of range.
func (l *loader) checkPort(name string, port int) {
	if !l.failed[name] && (port < 1 || port > 65535) {
		l.add(name, fmt.Sprintf("%d is not a port (1 to 65535)", port))
	}
}

// checkHost adds a problem when s is not a bare host name or IP address:
// a port, a scheme or a path belong elsewhere.
func (l *loader) checkHost(name, s, portVar string) {
	if s == "" || net.ParseIP(s) != nil {
		return
	}
	if strings.ContainsAny(s, ":/@ \t?#") {
		l.add(name, fmt.Sprintf("%q is not a host name or IP address (no scheme; the port goes in %s)", s, portVar))
	}
}

// checkURL adds a problem when s is set and is not an absolute http(s)
// URL; an origin also has no path, query or fragment. The value is quoted
// only when it holds no credentials.
func (l *loader) checkURL(name, s string, origin bool) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil {
		l.add(name, "not an absolute http(s) URL without credentials")
		return
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		l.add(name, fmt.Sprintf("%q is not an absolute http(s) URL", s))
	case origin && (strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != ""):
		l.add(name, fmt.Sprintf("%q is not an origin: give scheme and host only, like https://jobs.example.com", s))
	}
}
