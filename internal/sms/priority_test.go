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
// salon is enqueued. Once it asks for a turn of the sender it gets the
// next one: while it waits, the Feeder hands out at most the turns of the
// pass already under way (a pass takes up to a quarter second's turns),
// none in a pass after it; and it reaches the fake.
//
// What reaches the fake ahead of it is told but not bounded: texts handed
// their turn before the confirmation asked (while its task waited to be
// picked up, or sat in sms_bulk on a busy machine) go first, as they
// should.
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
	// Its commands tell when the confirmation waited and which texts the
	// Feeder took meanwhile.
	l, turns := f.watchedLimiter(t, 1, ownNumber)
	s.Limiter = l
	f.dispatchInLine(t, l)
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
	waited, taken := turns.waits()
	if waited != 1 {
		t.Fatalf("the confirmation asked for a turn of %s %d times, want once", ownNumber, waited)
	}
	if bound := feedBurst(50 * time.Millisecond); taken > bound {
		t.Errorf("the Feeder took %d campaign texts from the line while the confirmation waited for its turn, want at most %d (the pass already under way)", taken, bound)
	}
	if at := f.fake.SentTo(to); at[0].From != ownNumber {
		t.Errorf("confirmation sent from %q, want the salon's %s", at[0].From, ownNumber)
	}
	ahead := 0
	for _, m := range f.fake.Messages()[before:] {
		if m.To == to {
			break
		}
		ahead++
	}
	t.Logf("%d campaign texts taken while the confirmation waited; %d reached the fake between its enqueue and itself", taken, ahead)
}
