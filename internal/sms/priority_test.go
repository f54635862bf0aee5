package sms

import (
	"context"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// TestConfirmationTakesTheNextTurn: a 2,000-recipient campaign saturates
// its salon's sender at 20/s through a real worker (sms queue, concurrency
// 10); then a confirmation of the same salon is enqueued. It reaches the
// fake ahead of the campaign's backlog: at most the campaign texts already
// woken for their slot (two seconds' worth at the rate: asynq's scheduling
// step, and their wait in place) leave before it, not the ~1,900 queued ahead of it. (While the
// fan-out's own tasks are still pending, the confirmation's task is behind
// them in the queue; they leave it at hundreds a second, reserving their
// slots, without sending.)
func TestConfirmationTakesTheNextTurn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a worker for a few seconds")
	}
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	salon, _ := f.campaignWith(t, 2000)
	if _, err := f.pool.Exec(ctx, `UPDATE salons SET sms_sender = $2, sms_rate_per_second = 20 WHERE id = $1`, salon, ownNumber); err != nil {
		t.Fatal(err)
	}
	if err := f.dispatcher().DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
		t.Fatal(err)
	}
	l, err := NewLimiter(f.rdb.Client, serviceSID, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := f.sender()
	s.Clock, s.Limiter, s.DefaultSender = nil, l, serviceSID
	s.Quiet = text.QuietHours{Start: 0, End: 24 * time.Hour} // the wall clock's hour must not matter
	f.fake.SetClock(nil)
	f.clock.Set(time.Now())
	stop := startWorker(t, f, s)
	defer stop()
	waitSent(t, f, 40, time.Minute)
	// Saturated: the fan-out's tasks have all taken a slot of the sender
	// and wait scheduled for it, about 100 s of texts at 20/s.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		q, err := f.insp.GetQueueInfo(smsQueue)
		if err != nil {
			t.Fatal(err)
		}
		if q.Pending < 40 && q.Scheduled > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the campaign never settled into its slots: %d pending, %d scheduled", q.Pending, q.Scheduled)
		}
		time.Sleep(10 * time.Millisecond)
	}

	const to = "+15555557301"
	id := f.message(t, salon, f.customer(t, salon, to, false), outbox.KindConfirmation, to)
	before := len(f.fake.Messages())
	if q, err := f.insp.GetQueueInfo(smsQueue); err == nil {
		t.Logf("at the confirmation: %d pending, %d active, %d scheduled", q.Pending, q.Active, q.Scheduled)
	}
	if _, err := f.client.EnqueueContext(ctx, sendTask(t, id)); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(time.Minute)
	for len(f.fake.SentTo(to)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the confirmation never reached the fake; %d campaign texts did meanwhile", len(f.fake.Messages())-before)
		}
		time.Sleep(2 * time.Millisecond)
	}
	msgs := f.fake.Messages()
	ahead := 0
	for _, m := range msgs[before:] {
		if m.To == to {
			break
		}
		ahead++
	}
	if ahead > 40 {
		t.Errorf("%d campaign texts reached the fake between the confirmation's enqueue and itself, want at most 40 (two seconds at 20/s: asynq wakes scheduled tasks each second, and the woken ones wait in place up to BulkMaxWait)", ahead)
	}
	if at := f.fake.SentTo(to); at[0].From != ownNumber {
		t.Errorf("confirmation sent from %q, want the salon's %s", at[0].From, ownNumber)
	}
	t.Logf("%d campaign texts ahead of the confirmation", ahead)
}
