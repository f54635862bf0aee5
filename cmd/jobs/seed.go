package main

import (
	"context"
	"fmt"
	"time"

	"github.com/salonworks/jobs/internal/postgres"
)

func runSeed(ctx context.Context, e env, args []string) error {
	fs := flags(e, "seed", "seed", `Loads the documented demo salon (see README, "Demo data") into the
configured database. Running it again changes nothing.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, _, err := load(e)
	if err != nil {
		return err
	}
	pool, err := postgres.Connect(ctx, cfg.DatabaseURL())
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := postgres.Seed(ctx, pool, time.Now())
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintln(e.stdout, rep.String())
	return nil
}
