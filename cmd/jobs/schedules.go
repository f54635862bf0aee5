package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/scheduler"
)

func runSchedules(ctx context.Context, e env, args []string) error {
	fs := flags(e, "schedules", "schedules [--file PATH] [--now TIME] [--count N]", `Prints every schedule entry in force (the built-in table, replaced or
extended by SCHEDULE_FILE) with its next run times in UTC and in its own
time zone, and, when Redis is reachable, which scheduler process leads.
An invalid schedule file is reported with each entry's problem, exit 1.`)
	path := fs.String("file", "", "schedule file (default: SCHEDULE_FILE)")
	nowFlag := fs.String("now", "", "compute from this time (RFC 3339) instead of now")
	count := fs.Int("count", 5, "run times per entry")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *path == "" {
		*path, _ = e.lookup("SCHEDULE_FILE")
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("%w: --now %q is not an RFC 3339 time", errUsage, *nowFlag)
		}
		now = t
	}
	entries, err := scheduler.Load(*path)
	if err != nil {
		return err
	}
	printSchedules(e.stdout, entries, now, *count)
	if *nowFlag == "" {
		printLeader(ctx, e)
	}
	return nil
}

// printSchedules writes the entries and their next count runs after now.
func printSchedules(w io.Writer, entries []scheduler.Entry, now time.Time, count int) {
	fmt.Fprintf(w, "schedule entries at %s\n", now.UTC().Format(time.RFC3339))
	for _, en := range entries {
		state := "enabled"
		if !en.Enabled {
			state = "disabled"
		}
		fmt.Fprintf(w, "\n%s  %s  %q in %s  grace %s  %s\n", en.Name, en.Kind, en.Cron, en.Timezone, en.Grace, state)
		if len(en.Payload) > 0 && string(en.Payload) != "{}" {
			fmt.Fprintf(w, "  payload %s\n", en.Payload)
		}
		t := now
		for range count {
			t = en.Next(t)
			if t.IsZero() {
				fmt.Fprintln(w, "  (no further run)")
				break
			}
			fmt.Fprintf(w, "  %s  %s\n", t.UTC().Format("2006-01-02 15:04:05 UTC"), t.In(en.Location()).Format("2006-01-02 15:04:05 MST (-07:00)"))
		}
	}
}

// printLeader says which scheduler leads, when Redis can be reached; with
// no usable Redis configuration it says which variable is wrong.
func printLeader(ctx context.Context, e env) {
	cfg, err := config.LoadFor(config.CmdSchedules, e.lookup)
	if err != nil {
		fmt.Fprintf(e.stdout, "\nleader: unknown (%v)\n", err)
		return
	}
	id, err := app.SchedulerLeader(ctx, cfg)
	switch {
	case err == nil && id == "":
		fmt.Fprintln(e.stdout, "\nleader: none (no jobs scheduler running)")
	case err != nil:
		fmt.Fprintf(e.stdout, "\nleader: unknown (%s)\n", strings.SplitN(err.Error(), ":", 2)[0])
	default:
		fmt.Fprintf(e.stdout, "\nleader: %s\n", id)
	}
}
