package email

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/testenv"
)

// sendingSince stores a row for key and puts it in sending, claimed ago.
func (f *fixture) sendingSince(t *testing.T, key string, ago time.Duration) int64 {
	t.Helper()
	m, _, err := f.store.Create(context.Background(), key, "welcome", "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Claim(context.Background(), m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pg.Pool.Exec(context.Background(), `UPDATE email_messages SET updated_at = now() - make_interval(secs => $2) WHERE id = $1`, m.ID, ago.Seconds()); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func (f *fixture) status(t *testing.T, id int64) outbox.Status {
	t.Helper()
	m, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Status
}

// TestSweeperSettlesOnlyLostSends: a row claimed longer than the lease
// ago leaves sending (failed as outcome unknown and logged with the
// recipient masked, or, where the store knows it never reached SES, back
// to pending); a send still within its lease is left to its worker.
func TestSweeperSettlesOnlyLostSends(t *testing.T) {
	t.Parallel()
	f := newFixture(t, LogProvider{})
	lost := f.sendingSince(t, "sweep:lost", 10*time.Minute)
	live := f.sendingSince(t, "sweep:live", 5*time.Second)
	s := &Sweeper{Store: f.store, Logger: f.s.Logger}
	if err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs := f.logs.String()
	switch got := f.status(t, lost); got {
	case outbox.StatusFailed:
		if !strings.Contains(logs, "email outcome unknown") {
			t.Errorf("lost send failed without its log line; logs = %s", logs)
		}
	case outbox.StatusPending:
	default:
		t.Errorf("lost send = %s, want failed (outcome unknown) or pending", got)
	}
	if got := f.status(t, live); got != outbox.StatusSending {
		t.Errorf("live send = %s, want sending", got)
	}
	if strings.Contains(logs, "ana@example.com") {
		t.Errorf("logs show the recipient unmasked: %s", logs)
	}
}

// TestSweeperRunsAsAService: started, it sweeps on its own; shut down, it
// returns.
func TestSweeperRunsAsAService(t *testing.T) {
	t.Parallel()
	f := newFixture(t, LogProvider{})
	lost := f.sendingSince(t, "sweep:service", 10*time.Minute)
	s := &Sweeper{Store: f.store, Logger: f.s.Logger, Interval: 10 * time.Millisecond}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	testenv.WaitFor(t, 10*time.Second, "the sweeper to take the lost send out of sending", func() bool {
		return f.status(t, lost) != outbox.StatusSending
	})
}
