package sms

import (
	"context"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/queues"
)

// TestConfirmationTakesTheNextTurn: a 2,000-recipient campaign saturates
// its salon's sender at 20/s through a real worker (sms and sms_bulk,
// concurrency 10 each, with its Feeder); then a confirmation of the same
// salon is enqueued. It reaches the fake within one turn of the sender:
// ahead of it go at most the campaign texts whose turn was already handed
// out (a Feeder's pass takes up to a quarter second's turns), none handed
// out after it.
func TestConfirmationTakesTheNextTurn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a worker for a few seconds")
	}
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	salon, _ := f.campaignWith(t, 2000)
	f.setSender(t, salon, ownNumber, 20)
	s := f.liveSender(t, 1)
	f.dispatchInLine(t, s.Limiter.(*Limiter))
	// The fan-out put the campaign in line: no task in sms for it.
	if q, err := f.insp.GetQueueInfo(queues.SMS); err == nil && q.Size > 0 {
		t.Errorf("the fan-out left %d tasks in sms, want none", q.Size)
	}
	stop := startWorker(t, f, s)
	defer stop()
	waitSent(t, f, 40, time.Minute)

	const to = "+15555557301"
	id := f.message(t, salon, f.customer(t, salon, to, false), outbox.KindConfirmation, to)
	before := len(f.fake.Messages())
	if _, err := f.client.EnqueueContext(ctx, sendTask(t, id)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for len(f.fake.SentTo(to)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the confirmation never reached the fake; %d campaign texts did meanwhile", len(f.fake.Messages())-before)
		}
		time.Sleep(2 * time.Millisecond)
	}
	ahead := 0
	for _, m := range f.fake.Messages()[before:] {
		if m.To == to {
			break
		}
		ahead++
	}
	// Handed out already: at most one Feeder pass's turns, and one more
	// being handed as the confirmation registered.
	if bound := feedBurst(50*time.Millisecond) + 1; ahead > bound {
		t.Errorf("%d campaign texts reached the fake between the confirmation's enqueue and itself, want at most %d (those already handed their turn)", ahead, bound)
	}
	if at := f.fake.SentTo(to); at[0].From != ownNumber {
		t.Errorf("confirmation sent from %q, want the salon's %s", at[0].From, ownNumber)
	}
	t.Logf("%d campaign texts ahead of the confirmation", ahead)
}
