package main

import (
	"context"
	"fmt"

	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/config"
)

func runSeed(ctx context.Context, e env, args []string) error {
	fs := flags(e, "seed", "seed", `Loads the documented demo salon (see README, "Demo data") into the
configured database. Running it again changes nothing.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, _, err := load(e, config.CmdSeed)
	if err != nil {
		return err
	}
	rep, err := app.Seed(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, rep.String())
	return nil
}
