package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/config"
)

func runMigrate(ctx context.Context, e env, args []string) error {
	fs := flags(e, "migrate", "migrate [up|status]", `up (the default) applies every embedded SQL migration not yet applied,
under a Postgres advisory lock, so two at once are safe. status lists every
migration and whether it is applied.`)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flagErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	action := "up"
	switch fs.NArg() {
	case 0:
	case 1:
		action = fs.Arg(0)
	default:
		return fmt.Errorf("%w: want one of up, status", errUsage)
	}
	cfg, logger, err := load(e, config.CmdMigrate)
	if err != nil {
		return err
	}
	switch action {
	case "up":
		applied, err := app.Migrate(ctx, cfg, logger)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(e.stdout, "database is up to date")
		}
		for _, a := range applied {
			fmt.Fprintf(e.stdout, "applied %s (%s)\n", a.Name, a.Duration.Round(time.Millisecond))
		}
		return nil
	case "status":
		st, err := app.MigrationStatus(ctx, cfg)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
		for _, s := range st {
			state, at := "pending", "-"
			if s.Applied {
				state, at = "applied", s.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Version, s.Name, state, at)
		}
		return tw.Flush()
	default:
		return fmt.Errorf("%w: unknown action %q: want up or status", errUsage, action)
	}
}
