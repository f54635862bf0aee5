package sms

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// BenchmarkConfirmationLatency: a 5,000-recipient campaign saturates its
// salon's own sender at 20/s; 100 confirmations are then dispatched one
// after another, each by enqueueing sms:dispatch_confirmations (a
// scheduler tick) for a new appointment, and timed until the text reaches
// the Twilio fake. "same sender": the confirmations are the campaign's
// salon's; "other sender": another salon's, with its own sender.
// Goal: p99 ≤ 2 s on the same sender, ≤ 250 ms on another.
func BenchmarkConfirmationLatency(b *testing.B) {
	for _, tc := range []struct {
		name                string
		same                bool
		rate                float64
		confirmations, busy int
	}{
		{"same sender 20/s", true, 20, 100, 5000},
		{"other sender 20/s", false, 20, 100, 5000},
		// The rates at which the old single queue was measured.
		{"same sender 50/s", true, 50, 100, 5000},
		{"same sender 1/s", true, 1, 10, 1000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				confirmationLatency(b, tc.same, tc.rate, tc.confirmations, tc.busy)
			}
		})
	}
}

func confirmationLatency(b *testing.B, same bool, rate float64, confirmations, recipients int) {
	f := newFixture(b, t0)
	ctx := context.Background()
	busy, _ := f.campaignWith(b, recipients)
	other := f.salon(b, "Quiet Salon", "America/New_York")
	f.setSender(b, busy, ownNumber, rate)
	f.setSender(b, other, ownService, rate)
	s := f.liveSender(b, 1)
	d := f.dispatchInLine(b, s.Limiter.(*Limiter))
	d.SendNow = s.SendRow // as a worker wires it
	stop := startWorker(b, f, s, d)
	defer stop()
	waitSent(b, f, min(40, int(rate*2)+1), time.Minute) // saturated
	salon := other
	if same {
		salon = busy
	}
	var lat []time.Duration
	for i := range confirmations {
		to := fmt.Sprintf("+1556%07d", i)
		customer := f.customer(b, salon, to, false)
		if _, err := f.pool.Exec(ctx, `INSERT INTO appointments (salon_id, customer_id, starts_at, ends_at, status)
			VALUES ($1, $2, now() + interval '3 hours', now() + interval '4 hours', 'booked')`, salon, customer); err != nil {
			b.Fatal(err)
		}
		task, err := tasksms.NewDispatchConfirmationsTask(tasksms.DispatchConfirmationsPayload{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := f.client.EnqueueContext(ctx, task); err != nil {
			b.Fatal(err)
		}
		deadline := start.Add(time.Minute)
		for len(f.fake.SentTo(to)) == 0 {
			if time.Now().After(deadline) {
				b.Fatalf("confirmation %d not sent within a minute", i)
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, f.fake.SentTo(to)[0].DateCreated.Sub(start))
	}
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	campaignTexts := 0
	for _, m := range f.fake.Messages() {
		if m.From == ownNumber && !strings.HasPrefix(m.To, "+1556") {
			campaignTexts++
		}
	}
	b.Logf("%d confirmations while the campaign saturated %s: p50 %s, p99 %s, max %s (%d texts from the campaign's sender meanwhile)",
		confirmations, map[bool]string{true: "their own sender", false: "another salon's sender"}[same], p50, p99, lat[len(lat)-1], campaignTexts)
	b.ReportMetric(p50.Seconds()*1000, "p50-ms")
	b.ReportMetric(p99.Seconds()*1000, "p99-ms")
}

// BenchmarkSharedSenderSplit: two salons share one sender at 20/s; the
// first's 2,000-recipient campaign runs alone for a moment, then the
// second's starts. Over the next 400 texts each salon's rate is measured
// (goal: within 10 % of half the sender's rate each).
func BenchmarkSharedSenderSplit(b *testing.B) {
	const shared = "+15550007100"
	for b.Loop() {
		f := newFixture(b, t0)
		ctx := context.Background()
		first, _ := f.campaignWith(b, 2000)
		second, _ := f.campaignWith(b, 2000)
		f.setSender(b, first, shared, 20)
		f.setSender(b, second, shared, 20)
		if _, err := f.pool.Exec(ctx, `UPDATE campaigns SET send_at = now() + interval '1 hour' WHERE salon_id = $1`, second); err != nil {
			b.Fatal(err)
		}
		s := f.liveSender(b, 1)
		d := f.dispatchInLine(b, s.Limiter.(*Limiter))
		stop := startWorker(b, f, s)
		waitSent(b, f, 40, time.Minute)
		if _, err := f.pool.Exec(ctx, `UPDATE campaigns SET send_at = now() WHERE salon_id = $1`, second); err != nil {
			b.Fatal(err)
		}
		if err := d.DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
			b.Fatal(err)
		}
		start := len(f.fake.Messages())
		waitSent(b, f, start+400, 2*time.Minute)
		stop()
		salonOf := f.salonOf(b)
		by := map[int64][]time.Time{}
		window := f.fake.Messages()[start : start+400]
		for _, m := range window {
			by[salonOf[m.To]] = append(by[salonOf[m.To]], m.DateCreated)
		}
		span := window[len(window)-1].DateCreated.Sub(window[0].DateCreated).Seconds()
		ra, rb := float64(len(by[first]))/span, float64(len(by[second]))/span
		b.Logf("400 texts in %.2f s: salon A %d (%.2f/s), salon B %d (%.2f/s); sender %.2f/s",
			span, len(by[first]), ra, len(by[second]), rb, float64(len(window)-1)/span)
		b.ReportMetric(ra, "salonA-msgs/s")
		b.ReportMetric(rb, "salonB-msgs/s")
	}
}
