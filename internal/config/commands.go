package config

import (
	"fmt"
	"slices"
)

// The subcommands that read the configuration.
const (
	CmdWorker    = "worker"
	CmdDev       = "dev"
	CmdScheduler = "scheduler"
	CmdAdmin     = "admin"
	CmdMigrate   = "migrate"
	CmdSeed      = "seed"
	CmdEnqueue   = "enqueue"
	CmdSchedules = "schedules"
)

// Command is what one subcommand asks of the configuration. LoadFor checks
// only the variables in Uses: a scheduler is not refused for a missing
// EMAIL_PROVIDER it would never read.
type Command struct {
	// Name is the subcommand.
	Name string
	// Uses lists every variable the command reads.
	Uses []string
	// Requires lists the variables that must be set in production and
	// staging beyond those without which nothing connects (the database
	// and Redis of a command that uses them, which their own rules cover).
	Requires []string
	// Sends is true for the processes that deliver SMS, email and files:
	// they refuse the log providers in production and staging unless
	// ALLOW_LOG_PROVIDERS=true, as nothing would reach a customer.
	Sends bool
}

// Variables read by every command, and the groups the table below joins.
var (
	processVars  = []string{"APP_ENV", "LOG_LEVEL", "LOG_FORMAT"}
	databaseVars = []string{"DATABASE_URL", "DATABASE_USERNAME", "DATABASE_PASSWORD", "DATABASE_ADDRESS", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_SSLMODE", "DATABASE_SSLROOTCERT"}
	redisVars    = []string{"REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB", "REDIS_TLS"}
	providerVars = []string{"SMS_PROVIDER", "EMAIL_PROVIDER", "STORAGE"}
	// tracingVars are read by the commands that trace: the worker, the
	// scheduler and jobs enqueue.
	tracingVars = []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_EXPORTER_OTLP_HEADERS"}
)

// commands is the one table of who reads what. The worker reads nearly
// everything but the webhooks' settings; the dashboard only what its pages
// and the webhooks need (the Twilio auth token checks their signatures,
// PUBLIC_BASE_URL is the signed URL; the SES events topic and the hosts
// its certificates may come from), and the local files when
// STORAGE=local, whose signed links it serves in compose.
var commands = []Command{
	{Name: CmdWorker, Uses: allBut("ADMIN_USERS", "PROMETHEUS_URL", "SCHEDULE_FILE", "SES_EVENTS_TOPIC_ARN", "SES_EVENTS_CERT_HOSTS"), Requires: providerVars, Sends: true},
	{Name: CmdDev, Uses: allBut("METRICS_EMF"), Requires: providerVars, Sends: true},
	{Name: CmdScheduler, Uses: join(processVars, redisVars, "HTTP_ADDR", "SCHEDULE_FILE", tracingVars)},
	{Name: CmdAdmin, Uses: join(processVars, redisVars, databaseVars, "HTTP_ADDR", "ADMIN_USERS", "PROMETHEUS_URL",
		"SMS_PROVIDER", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL", "STORAGE", "LOCAL_STORAGE_DIR",
		"SES_EVENTS_TOPIC_ARN", "SES_EVENTS_CERT_HOSTS"), Requires: []string{"ADMIN_USERS"}},
	{Name: CmdMigrate, Uses: join(processVars, databaseVars)},
	{Name: CmdSeed, Uses: join(processVars, databaseVars)},
	{Name: CmdEnqueue, Uses: join(processVars, redisVars, tracingVars)},
	{Name: CmdSchedules, Uses: join(processVars, redisVars, "SCHEDULE_FILE")},
}

// Commands returns every subcommand that reads the configuration, with
// what it reads.
func Commands() []Command {
	out := slices.Clone(commands)
	for i := range out {
		out[i].Uses = slices.Clone(out[i].Uses)
		out[i].Requires = slices.Clone(out[i].Requires)
	}
	return out
}

// CommandNamed returns the command called name.
func CommandNamed(name string) (Command, bool) {
	for _, c := range commands {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// uses reports whether the command reads the variable.
func (c *Command) uses(name string) bool { return slices.Contains(c.Uses, name) }

// requires reports whether the variable must be set outside development.
func (c *Command) requires(name string) bool { return slices.Contains(c.Requires, name) }

// usedBy returns the commands that read the variable, in table order.
func usedBy(name string) []string {
	var names []string
	for _, c := range commands {
		if c.uses(name) {
			names = append(names, c.Name)
		}
	}
	return names
}

// allBut returns every variable Config reads except those named.
func allBut(except ...string) []string {
	var names []string
	for _, v := range describeFields() {
		if !slices.Contains(except, v.Name) {
			names = append(names, v.Name)
		}
	}
	return names
}

// join concatenates groups of variables and single ones.
func join(parts ...any) []string {
	var names []string
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			names = append(names, p)
		case []string:
			names = append(names, p...)
		default:
			panic(fmt.Sprintf("config: join of %T", p))
		}
	}
	return names
}
