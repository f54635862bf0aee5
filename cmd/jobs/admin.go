package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/admin"
	"github.com/salonworks/jobs/internal/app"
	"github.com/salonworks/jobs/internal/config"
)

func runAdmin(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && args[0] == "hash-password" {
		return runHashPassword(e, args[1:], os.Stdin)
	}
	fs := flags(e, "admin", "admin | admin hash-password", `Serves the operators' dashboard (asynqmon) at /admin/queues behind HTTP
basic authentication against ADMIN_USERS (name:role:bcrypt-hash, roles
admin and viewer; required outside development), the Twilio webhooks at
/webhooks/twilio/* (checked by signature), /health/* and /metrics, on
HTTP_ADDR. PROMETHEUS_URL, when set, feeds the dashboard's charts. Needs
Redis and Postgres. Stops gracefully on SIGTERM or SIGINT.

"jobs admin hash-password" reads a password from standard input and prints
its bcrypt hash for ADMIN_USERS.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, logger, err := load(e)
	if err != nil {
		return err
	}
	if err := config.ValidateAdmin(cfg); err != nil {
		return err
	}
	// Postgres for the Twilio webhooks, which record delivery statuses
	// and opt-outs in the outbox; the dashboard itself needs only Redis.
	d, err := app.Connect(ctx, cfg, logger, app.Needs{Postgres: true})
	if err != nil {
		return err
	}
	defer d.Close()
	sms, err := app.NewSMS(d)
	if err != nil {
		return err
	}
	users := cfg.Admins()
	if len(users) == 0 {
		logger.Warn("ADMIN_USERS is empty: nobody can sign in to the dashboard; make a hash with jobs admin hash-password")
	}
	dash, err := admin.New(admin.Config{
		Redis:         cfg.AsynqRedis(),
		Users:         users,
		PrometheusURL: cfg.PrometheusURL,
		Logger:        logger,
		DB:            d.DB,
	})
	if err != nil {
		return err
	}
	defer dash.Close()
	insp := asynq.NewInspectorFromRedisClient(d.Redis)
	if err := admin.RegisterChartMetrics(d.Metrics.Registry, insp, logger); err != nil {
		return fmt.Errorf("chart metrics: %w", err)
	}
	// The webhooks sit beside /admin/, outside its basic auth: Twilio
	// signs its requests instead.
	files, err := app.NewFiles(d)
	if err != nil {
		return err
	}
	// /files/ (signed download links) is authenticated by its signature.
	d.Routes = append(d.Routes, dash.Register, sms.Webhooks.Routes, files.Routes)
	logger.Info("dashboard serving", "path", admin.RootPath, "users", len(users), "prometheus", cfg.PrometheusURL != "")
	return app.Run(ctx, d)
}

// runHashPassword reads one line from in and prints its bcrypt hash. The
// password is never printed; on a terminal it is echoed as typed.
func runHashPassword(e env, args []string, in io.Reader) error {
	fs := flags(e, "admin hash-password", "admin hash-password < password-file", `Reads a password (the first line of standard input) and prints its bcrypt
hash (cost 12), to use in ADMIN_USERS as name:role:HASH.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(e.stderr, "Password (shown as you type): ")
		}
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return fmt.Errorf("%w: no password on standard input", errUsage)
	}
	hash, err := admin.HashPassword([]byte(password))
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, hash)
	return nil
}
