package outboxkit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/salonworks/jobs/internal/testenv"
)

type status string

func TestStateErrorMatches(t *testing.T) {
	tests := []struct {
		name          string
		op            string
		wantClaimable bool
	}{
		{name: "refused claim", op: OpClaim, wantClaimable: true},
		{name: "refused mark sent", op: "mark sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := error(Table[status]{Name: "x", Noun: "email"}.StateError(tt.op, 7, "sent"))
			if !errors.Is(err, ErrTransition) {
				t.Errorf("errors.Is(%v, ErrTransition) = false", err)
			}
			if got := errors.Is(err, ErrNotClaimable); got != tt.wantClaimable {
				t.Errorf("errors.Is(%v, ErrNotClaimable) = %v, want %v", err, got, tt.wantClaimable)
			}
			if want := tt.op + " email 7: it is sent"; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err, want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("short"); got != "short" {
		t.Errorf("Truncate(short) = %q", got)
	}
	got := Truncate(strings.Repeat("é", 5000))
	if n := utf8.RuneCountInString(got); n != MaxError || !strings.HasSuffix(got, "…") {
		t.Errorf("Truncate(5000 runes) = %d runes ending %q, want %d ending …", n, got[len(got)-3:], MaxError)
	}
}

// TestTransition runs guarded updates on a real outbox table: the one that
// applies changes the row, the refused one says the row's state, a
// missing row is ErrNotFound.
func TestTransition(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)
	ctx := context.Background()
	var id int64
	if err := pg.Pool.QueryRow(ctx, `INSERT INTO email_messages (idempotency_key, template, to_address)
		VALUES ('kit:1', 'welcome', 'ana@example.com') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	table := Table[status]{Name: "email_messages", Noun: "email"}
	claim := `UPDATE email_messages SET status = 'sending' WHERE id = $1 AND status = 'pending'`
	if err := table.Transition(ctx, pg.Pool, OpClaim, id, claim, id); err != nil {
		t.Fatalf("first claim = %v", err)
	}
	err := table.Transition(ctx, pg.Pool, OpClaim, id, claim, id)
	var se *StateError[status]
	if !errors.As(err, &se) || se.Status != "sending" || !errors.Is(err, ErrNotClaimable) {
		t.Fatalf("second claim = %v, want a *StateError in sending matching ErrNotClaimable", err)
	}
	if err := table.Transition(ctx, pg.Pool, OpClaim, 424242, claim, int64(424242)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim of a missing row = %v, want ErrNotFound", err)
	}
}
