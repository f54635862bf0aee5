package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
admin and viewer; required outside development), /health/* and /metrics
on HTTP_ADDR. With SMS_PROVIDER=twilio it also takes Twilio's callbacks at
/webhooks/twilio/* (checked by signature against TWILIO_AUTH_TOKEN and
PUBLIC_BASE_URL); with STORAGE=local it serves the signed file links of
LOCAL_STORAGE_DIR. PROMETHEUS_URL, when set, feeds the dashboard's charts.
Needs Redis and Postgres. Stops gracefully on SIGTERM or SIGINT.

"jobs admin hash-password" reads a password from standard input and prints
its bcrypt hash for ADMIN_USERS.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, logger, err := load(e, config.CmdAdmin)
	if err != nil {
		return err
	}
	return app.Admin(ctx, cfg, logger)
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
