package twilio_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	c := newClient(t, f)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	f.SetClock(func() time.Time { return now })
	ctx := context.Background()
	send := func(at time.Time, body string) string {
		t.Helper()
		now = at
		res, err := c.Send(ctx, customer, body)
		if err != nil {
			t.Fatal(err)
		}
		return res.SID
	}
	send(t0, "old")
	newer := send(t0.Add(time.Hour), "new, still queued")
	if _, err := c.Send(ctx, "+15555550999", "another number"); err != nil {
		t.Fatal(err)
	}

	got, err := c.Lookup(ctx, customer, t0.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Complete || len(got.Messages) != 1 || got.Messages[0].SID != newer || got.Messages[0].Body != "new, still queued" ||
		!got.Messages[0].Created.Equal(t0.Add(time.Hour)) {
		t.Errorf("Lookup() = %+v, want complete with only %s", got, newer)
	}
	if got, err := c.Lookup(ctx, "+15555550777", t0); err != nil || !got.Complete || len(got.Messages) != 0 {
		t.Errorf("Lookup(nobody's number) = %+v, %v; want complete and empty", got, err)
	}

	// Beyond what one lookup reads, with nothing older seen: not complete,
	// so an absence there is no evidence.
	for i := range 201 {
		send(t0.Add(2*time.Hour+time.Duration(i)*time.Second), fmt.Sprint("bulk ", i))
	}
	if got, err := c.Lookup(ctx, customer, t0.Add(2*time.Hour)); err != nil || got.Complete {
		t.Errorf("Lookup() past the limit = complete %v, %v; want incomplete", got.Complete, err)
	}
}
