package sms

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/clock"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/taskerr"
)

// TestSendDuringADatabaseOutageSpendsNoRetry: with the database
// unreachable, sms:send waits (a rate-limit-like error, which spends no
// retry) instead of failing its attempts away.
func TestSendDuringADatabaseOutageSpendsNoRetry(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig("postgres://postgres@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := &Sender{Store: outbox.New(pool), DB: pool, Clock: clock.Fixed(t0)}
	err = handler(s).ProcessTask(context.Background(), sendTask(t, 42))
	rl, ok := taskerr.AsRateLimit(err)
	if !ok || rl.Delay != outageWait {
		t.Fatalf("ProcessTask() with the database down = %v, want a wait of %s", err, outageWait)
	}
}

func TestWaitOutage(t *testing.T) {
	t.Parallel()
	down := &pgconn.ConnectError{}
	tests := []struct {
		name string
		err  error
		wait bool
	}{
		{"database unreachable", down, true},
		{"failover in progress", &pgconn.PgError{Code: "57P01"}, true},
		{"a constraint refused", &pgconn.PgError{Code: "23505"}, false},
		{"permanent stays permanent", taskerr.Permanent("sent but not recorded", down), false},
		{"twilio unreachable keeps its retries", providerError{down}, false},
		{"plain error", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, waits := taskerr.AsRateLimit(waitOutage(tt.err))
			if waits != tt.wait {
				t.Errorf("waitOutage(%v) waits = %v, want %v", tt.err, waits, tt.wait)
			}
		})
	}
}
