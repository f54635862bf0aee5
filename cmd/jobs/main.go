// Command jobs is the salon platform's background-job daemon: queue workers,
// the scheduler, the operators' dashboard and the tools around them, in one
// binary. The subcommand picks the role; see `jobs --help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// env is how the command reads its environment; tests pass a map.
type env struct {
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"worker", "run the queue servers (WORKER_QUEUES selects a subset)", runWorker},
		{"scheduler", "run the leader-elected periodic scheduler (run two for high availability)", runScheduler},
		{"schedules", "print the schedule entries with their next run times and the leader", runSchedules},
		{"admin", "serve the operators' dashboard at /admin/queues (admin hash-password makes an ADMIN_USERS hash)", runAdmin},
		{"dev", "run worker and health in one process with local providers; --seed loads the demo salon", runDev},
		{"migrate", "apply the embedded SQL migrations (up, default) or list them (status)", runMigrate},
		{"seed", "load the demo salon into the configured database (idempotent)", runSeed},
		{"enqueue", "validate and enqueue one task: jobs enqueue KIND --payload JSON [--in D] [--at T]", runEnqueue},
		{"config", "print every environment variable with its default, purpose and the commands that use it", runConfig},
		{"healthcheck", "exit 0 when the local /health/live answers (for container health checks)", runHealthcheck},
		{"version", "print the version", runVersion},
	}
}

// errUsage marks a command-line mistake: exit code 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, env{stdout: os.Stdout, stderr: os.Stderr, lookup: os.LookupEnv}, os.Args[1:]))
}

func run(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(e.stderr, "jobs %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(e.stderr, "jobs %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "jobs: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `jobs: background jobs, schedules and SMS/email delivery for the salon platform.

Usage: jobs COMMAND [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Configuration comes from the environment only: run "jobs config" to list it.
Run "jobs COMMAND --help" for a command's flags.
`)
}

// flags returns a flag set for a subcommand whose --help prints summary,
// then the flags.
func flags(e env, name, synopsis, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: jobs %s\n\n%s\n", synopsis, summary)
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(e.stdout, "\nFlags:")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			fs.SetOutput(e.stderr)
		}
	}
	return fs
}

// parse parses args, turning a flag error into a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}
