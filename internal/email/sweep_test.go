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

// TestSweeperFailsOnlyLostSends: a row claimed longer than the lease ago
// is failed as outcome unknown and logged with the recipient masked; a
// send still within its lease is left to its worker.
func TestSweeperFailsOnlyLostSends(t *testing.T) {
	t.Parallel()
	f := newFixture(t, LogProvider{})
	lost := f.sendingSince(t, "sweep:lost", 10*time.Minute)
	live := f.sendingSince(t, "sweep:live", 5*time.Second)
	s := &Sweeper{Store: f.store, Logger: f.s.Logger}
	if err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.status(t, lost); got != outbox.StatusFailed {
		t.Errorf("lost send = %s, want failed", got)
	}
	if got := f.status(t, live); got != outbox.StatusSending {
		t.Errorf("live send = %s, want sending", got)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "email outcome unknown") || strings.Contains(logs, "ana@example.com") {
		t.Errorf("logs = %s; want one outcome-unknown line, recipient masked", logs)
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
	testenv.WaitFor(t, 10*time.Second, "the sweeper to fail the lost send", func() bool {
		return f.status(t, lost) == outbox.StatusFailed
	})
}
