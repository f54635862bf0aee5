package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/tasks"
)

func runEnqueue(ctx context.Context, e env, args []string) error {
	fs := flags(e, "enqueue", "enqueue KIND --payload JSON [--in DURATION] [--at TIME] [--id TASK_ID]",
		`Validates the payload with the same code as the Go constructors and
enqueues one task on its kind's queue with the queue's options. Prints the
task ID; on a validation error prints it and exits 1.

Kinds:
`+kindList())
	payload := fs.String("payload", "{}", "the payload as JSON")
	in := fs.Duration("in", 0, "process after this delay, like 10m")
	at := fs.String("at", "", "process at this time (RFC 3339, like 2026-11-22T08:00:00Z)")
	id := fs.String("id", "", "task ID; a second enqueue with the same ID is refused (idempotency)")
	var kind string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		kind, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flagErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if kind == "" && fs.NArg() > 0 {
		kind = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if kind == "" {
		return fmt.Errorf("%w: missing KIND; one of: %s", errUsage, strings.Join(kindNames(), ", "))
	}
	var opts []asynq.Option
	if *in != 0 && *at != "" {
		return fmt.Errorf("%w: give --in or --at, not both", errUsage)
	}
	if *in < 0 {
		return fmt.Errorf("%w: --in %s is negative", errUsage, *in)
	}
	if *in > 0 {
		opts = append(opts, asynq.ProcessIn(*in))
	}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("%w: --at %q is not an RFC 3339 time", errUsage, *at)
		}
		opts = append(opts, asynq.ProcessAt(t))
	}
	if *id != "" {
		opts = append(opts, asynq.TaskID(*id))
	}
	// Validate before reading the configuration, so a bad payload is
	// reported even where no Redis is configured.
	if _, err := tasks.NewTask(kind, []byte(*payload), opts...); err != nil {
		return err
	}
	cfg, _, err := load(e, config.CmdEnqueue)
	if err != nil {
		return err
	}
	info, err := app.Enqueue(ctx, cfg, kind, []byte(*payload), opts...)
	if errors.Is(err, app.ErrTaskIDConflict) {
		return fmt.Errorf("a task with ID %q already exists: nothing enqueued", *id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", info.ID)
	fmt.Fprintf(e.stderr, "enqueued %s on queue %s (%s, next attempt %s)\n",
		info.Type, info.Queue, info.State, info.NextProcessAt.UTC().Format(time.RFC3339))
	return nil
}

func kindNames() []string {
	var names []string
	for _, k := range tasks.Kinds() {
		names = append(names, k.Name)
	}
	return names
}

func kindList() string {
	var b strings.Builder
	for _, k := range tasks.Kinds() {
		fmt.Fprintf(&b, "  %-28s queue %-8s %s\n", k.Name, k.Queue, k.Doc)
	}
	return b.String()
}
