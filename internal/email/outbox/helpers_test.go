package outbox

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/testenv"
)

// fixture is one test's schema and a store on it.
type fixture struct {
	store *Store
	pool  *pgxpool.Pool
}

// t0 is the tests' fixed clock.
var t0 = time.Date(2026, 3, 8, 15, 0, 0, 0, time.UTC)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pg := testenv.NewPostgres(t)
	return &fixture{store: New(pg.Pool), pool: pg.Pool}
}

var keySeq atomic.Int64

// create stores a fresh pending row and returns it.
func (f *fixture) create(t testing.TB) Message {
	t.Helper()
	m, created, err := f.store.Create(context.Background(), fmt.Sprintf("test:%d", keySeq.Add(1)), "welcome", "ana@example.com")
	if err != nil || !created {
		t.Fatalf("Create() = %+v, %v, %v", m, created, err)
	}
	return m
}

// force puts row id in status directly, bypassing the state machine, to
// set up a test; claimedAgo backdates updated_at (the claim's time).
func (f *fixture) force(t testing.TB, id int64, status Status, claimedAgo time.Duration) {
	t.Helper()
	_, err := f.pool.Exec(context.Background(), `
		UPDATE email_messages SET status = $2,
			skip_reason = CASE WHEN $2 = 'skipped' THEN 'suppressed' END,
			provider_message_id = CASE WHEN $2 = 'sent' THEN 'ses-' || id END,
			error = CASE WHEN $2 = 'failed' THEN 'MessageRejected' END,
			updated_at = now() - make_interval(secs => $3)
		WHERE id = $1`, id, string(status), claimedAgo.Seconds())
	if err != nil {
		t.Fatalf("force email %d to %s: %v", id, status, err)
	}
}

func (f *fixture) get(t testing.TB, id int64) Message {
	t.Helper()
	m, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
