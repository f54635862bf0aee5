package sms

// Benchmarks of the sms queue for docs/benchmarks.md. They print their
// figures (b.Logf, shown with -v) and report them as metrics. Run them
// one at a time, once:
//
//	go test -run '^$' -bench CampaignFanOut -benchtime 1x -v ./internal/sms
//	go test -run '^$' -bench SendThroughput -benchtime 1x -v ./internal/sms
//	go test -run '^$' -bench RateLimitAccuracy -benchtime 1x -v ./internal/sms

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/service"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// BenchmarkCampaignFanOut fans one campaign out to a salon of 100,000
// consenting customers with the Campaigns handler, as a worker does: outbox
// rows created and put in line for the salon's sender (goal: under 10 s and
// 150 MB peak RSS).
func BenchmarkCampaignFanOut(b *testing.B) {
	const customers = 100_000
	f := newFixture(b, time.Now())
	ctx := context.Background()
	salon := f.salon(b, "Big Salon", "America/New_York")
	n, err := f.pool.CopyFrom(ctx, pgx.Identifier{"customers"},
		[]string{"salon_id", "first_name", "phone", "marketing_consent"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i == customers {
					return nil, nil
				}
				i++
				return []any{salon, "Guest", fmt.Sprintf("+1555%07d", i), true}, nil
			}
		}()))
	if err != nil || n != customers {
		b.Fatalf("copy customers: %d, %v", n, err)
	}
	l, err := NewLimiter(f.rdb.Client, "MGfanout", 20)
	if err != nil {
		b.Fatal(err)
	}
	d := f.dispatcher()
	d.Clock, d.Lines = nil, l // the wall clock; in line, as in production
	b.ResetTimer()

	var secs, rows, tasks, peakMB []float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var campaign int64
		if err := f.pool.QueryRow(ctx, `INSERT INTO campaigns (salon_id, name, body, send_at)
			VALUES ($1, $2, 'Big Salon: 20% off all color services this week. Book at https://example.com/big', now() - interval '1 minute')
			RETURNING id`, salon, fmt.Sprintf("Spring %d", i)).Scan(&campaign); err != nil {
			b.Fatal(err)
		}
		if err := f.rdb.Client.FlushDB(ctx).Err(); err != nil { // the last round's line
			b.Fatal(err)
		}
		runtime.GC()
		baseKB := testenv.ProcStatusKB(b, "VmRSS")
		reset := testenv.ResetPeakRSS()
		b.StartTimer()

		start := time.Now()
		if err := d.DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)

		b.StopTimer()
		peakKB := testenv.ProcStatusKB(b, "VmHWM")
		created := f.count(b, `SELECT count(*) FROM sms_messages WHERE campaign_id = $1`, campaign)
		inLine, err := l.InLine(ctx, "MGfanout")
		if err != nil {
			b.Fatal(err)
		}
		var total int
		if err := f.pool.QueryRow(ctx, `SELECT recipients_total FROM campaigns WHERE id = $1 AND status = 'sent'`, campaign).Scan(&total); err != nil {
			b.Fatalf("campaign %d not sent: %v", campaign, err)
		}
		if created != customers || inLine != customers || total != customers {
			b.Errorf("rows %d, in line %d, recipients_total %d; want %d each", created, inLine, total, customers)
		}
		peakNote := "since reset"
		if !reset {
			peakNote = "whole process (VmHWM reset refused)"
		}
		b.Logf("fan-out of %d: %.2f s, %d rows, %d in line, RSS before %.0f MB, peak %.0f MB (%s; includes the test's own data)",
			customers, elapsed.Seconds(), created, inLine, float64(baseKB)/1024, float64(peakKB)/1024, peakNote)
		secs = append(secs, elapsed.Seconds())
		rows = append(rows, float64(created))
		tasks = append(tasks, float64(inLine))
		peakMB = append(peakMB, float64(peakKB)/1024)
		b.StartTimer()
	}
	b.ReportMetric(mean(secs), "s/fanout")
	b.ReportMetric(mean(rows), "rows/fanout")
	b.ReportMetric(mean(tasks), "in-line/fanout")
	b.ReportMetric(maxOf(peakMB), "peak-RSS-MB")
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(max(len(xs), 1))
}

func maxOf(xs []float64) float64 {
	var m float64
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// benchRows stores n pending confirmations, each to its own number, and
// enqueues their sms:send tasks.
func benchRows(b *testing.B, f *fixture, salon int64, round, n int) []int64 {
	b.Helper()
	msgs := make([]outbox.Message, n)
	for i := range msgs {
		msgs[i] = outbox.Message{
			IdempotencyKey: fmt.Sprintf("bench:%d:%d", round, i), SalonID: salon,
			Category: outbox.CategoryTransactional, Kind: outbox.KindConfirmation,
			To:   fmt.Sprintf("+1557%03d%04d", round%1000, i),
			Body: "Hi Maria, this is Uptown confirming your appointment on Tue Jul 14 at 2:30 PM. Reply STOP to opt out.",
		}
	}
	ids, err := f.store.CreateBatch(context.Background(), msgs)
	if err != nil || len(ids) != n {
		b.Fatalf("CreateBatch: %d ids, %v", len(ids), err)
	}
	d := Dispatcher{Enqueue: f.client, EnqueueWorkers: 16}
	if err := d.enqueueSends(context.Background(), ids, queues.SMS); err != nil {
		b.Fatal(err)
	}
	return ids
}

// startWorker runs the sms queue and its internal sms_bulk (concurrency
// 10 each) on its own Redis connection, with a Feeder when s has a
// Limiter, as one worker process would; with the confirmations'
// dispatcher when d is given.
func startWorker(b testing.TB, f *fixture, s *Sender, d ...*Dispatcher) (stop func()) {
	b.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: f.rdb.Addr, DB: f.rdb.DB, PoolSize: 20})
	qs, err := queues.Select(queues.SMS)
	if err != nil {
		b.Fatal(err)
	}
	handlers := worker.NewHandlers()
	worker.Handle(handlers, tasksms.KindSend, s.Send)
	for _, d := range d {
		worker.Handle(handlers, tasksms.KindDispatchConfirmations, d.DispatchConfirmations)
	}
	var feeder service.Service = noService{}
	if l, ok := s.Limiter.(*Limiter); ok {
		feeder = (&Feeder{Limiter: l, Store: f.store, Enqueue: asynq.NewClientFromRedisClient(rdb), Logger: f.logger, Quiet: &s.Quiet}).Service()
	}
	w, err := worker.New(worker.Config{
		Redis: rdb, Queues: qs,
		Handlers:        handlers,
		ShutdownTimeout: 10 * time.Second,
		Logger:          slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:         metrics.New(),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	if err := feeder.Start(); err != nil {
		b.Fatal(err)
	}
	return func() { feeder.Shutdown(); w.Shutdown(); rdb.Close() }
}

// noService is a Service that does nothing.
type noService struct{}

func (noService) Start() error { return nil }
func (noService) Shutdown()    {}

// waitSent waits until the fake holds want messages in all.
func waitSent(b testing.TB, f *fixture, want int, within time.Duration) {
	b.Helper()
	deadline := time.Now().Add(within)
	for len(f.fake.Messages()) < want {
		if time.Now().After(deadline) {
			b.Fatalf("fake holds %d messages after %s, want %d", len(f.fake.Messages()), within, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BenchmarkSendThroughput sends 2,000 confirmations through a real worker
// (sms queue, concurrency 10) against the fake, with the rate limit
// effectively off. For scale, the same number of bare Twilio client calls
// from 10 goroutines.
func BenchmarkSendThroughput(b *testing.B) {
	const perRound = 2000
	f := newFixture(b, time.Now())
	f.fake.SetClock(nil)
	salon := f.salon(b, "Uptown", "America/New_York")
	l, err := NewLimiter(f.rdb.Client, "MGbench", 1e6)
	if err != nil {
		b.Fatal(err)
	}
	s := f.sender()
	s.Clock, s.Limiter = nil, l
	b.ResetTimer()

	var rates, direct []float64
	sent := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ids := benchRows(b, f, salon, i, perRound)
		b.StartTimer()
		start := time.Now()
		stop := startWorker(b, f, s)
		waitSent(b, f, sent+perRound, 2*time.Minute)
		elapsed := time.Since(start)
		b.StopTimer()
		stop()
		sent += perRound
		if n := f.count(b, `SELECT count(*) FROM sms_messages WHERE id = ANY($1) AND status = 'sent'`, ids); n != perRound {
			b.Errorf("%d of %d rows sent", n, perRound)
		}
		rates = append(rates, perRound/elapsed.Seconds())

		// The same sends straight through the client, no queue, no outbox.
		var next atomic.Int64
		var wg sync.WaitGroup
		start = time.Now()
		for range 10 {
			wg.Go(func() {
				for j := next.Add(1); j <= perRound; j = next.Add(1) {
					if _, err := f.provider.Send(context.Background(), "", fmt.Sprintf("+1558%03d%04d", i%1000, j), "direct", ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		direct = append(direct, perRound/time.Since(start).Seconds())
		sent += perRound
		b.Logf("round %d: %d messages through the worker at %.0f msg/s (start to last accepted); bare client calls, 10 at a time: %.0f msg/s",
			i+1, perRound, rates[len(rates)-1], direct[len(direct)-1])
		b.StartTimer()
	}
	b.ReportMetric(mean(rates), "msgs/s")
	b.ReportMetric(mean(direct), "bare-client-msgs/s")
}

// countingProvider counts the sends of one worker.
type countingProvider struct {
	Provider
	n *atomic.Int64
}

func (p countingProvider) Send(ctx context.Context, sender, to, body, callback string) (string, error) {
	p.n.Add(1)
	return p.Provider.Send(ctx, sender, to, body, callback)
}

// BenchmarkRateLimitAccuracy runs two workers (two worker.Workers on one
// Redis, each with its own limiter on the same sender, like two processes)
// sending 200 messages at SMS_RATE_PER_SECOND=20, and compares the rate
// Twilio saw with the setting (goal: within 5 %).
func BenchmarkRateLimitAccuracy(b *testing.B) {
	const (
		rate     = 20.0
		perRound = 200
	)
	f := newFixture(b, time.Now())
	f.fake.SetClock(nil)
	salon := f.salon(b, "Uptown", "America/New_York")
	b.ResetTimer()

	var achieved []float64
	sent := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		benchRows(b, f, salon, i, perRound)
		var counts [2]atomic.Int64
		var stops []func()
		b.StartTimer()
		for w := range 2 {
			l, err := NewLimiter(f.rdb.Client, "MGaccuracy", rate)
			if err != nil {
				b.Fatal(err)
			}
			s := f.sender()
			s.Clock, s.Limiter = nil, l
			s.Provider = countingProvider{Provider: f.provider, n: &counts[w]}
			stops = append(stops, startWorker(b, f, s))
		}
		waitSent(b, f, sent+perRound, time.Minute)
		b.StopTimer()
		for _, stop := range stops {
			stop()
		}
		msgs := f.fake.Messages()[sent:]
		sent += perRound
		first, last := msgs[0].DateCreated, msgs[0].DateCreated
		for _, m := range msgs {
			first, last = minTime(first, m.DateCreated), maxTime(last, m.DateCreated)
		}
		got := float64(len(msgs)-1) / last.Sub(first).Seconds()
		achieved = append(achieved, got)
		b.Logf("round %d: %d messages in %.2f s: %.2f msg/s for a setting of %.0f (%+.1f %%); worker 1 sent %d, worker 2 sent %d",
			i+1, len(msgs), last.Sub(first).Seconds(), got, rate, (got/rate-1)*100, counts[0].Load(), counts[1].Load())
		b.StartTimer()
	}
	b.ReportMetric(mean(achieved), "achieved-msgs/s")
	b.ReportMetric((mean(achieved)/rate-1)*100, "error-%")
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
