package email

// Benchmarks of the emails queue for docs/benchmarks.md. They print their
// figures (b.Logf, shown with -v) and report them as metrics:
//
//	go test -run '^$' -bench EmailThroughput -benchtime 1x -v ./internal/email -args -emails 2000

import (
	"context"

	"flag"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/email/seslocal"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

var benchEmails = flag.Int("emails", 1000, "emails per round of BenchmarkEmailThroughput")

// BenchmarkEmailThroughput sends -emails notification emails through a
// real worker (emails queue, concurrency 10) to the SES fake and to the
// aws-ses-v2-local emulator, through the real SDK. "handler" is this
// package's Sender (outbox row, suppression check, render, claim, send,
// record); "plain-asynq" is a bare handler that calls SES with a fixed
// message: the floor the Sender's work adds to. The worker decodes the
// payload for both.
func BenchmarkEmailThroughput(b *testing.B) {
	for _, target := range []string{"fake", "emulator"} {
		for _, mode := range []string{"plain-asynq", "handler"} {
			b.Run(target+"/"+mode, func(b *testing.B) { benchThroughput(b, target, mode) })
		}
	}
}

func benchThroughput(b *testing.B, target, mode string) {
	var endpoint string
	if target == "emulator" {
		endpoint = seslocal.Start(b).URL
	} else {
		endpoint = newFakeSES(b).srv.URL
	}
	provider := newSES(b, endpoint, "")
	f := newFixture(b, provider)
	f.s.Clock = nil // the wall clock
	send := f.s.Send
	if mode == "plain-asynq" {
		send = plainSend(provider)
	}
	var done atomic.Int64
	r := testenv.NewRedis(b)
	q, _ := queues.Lookup(queues.Emails)
	handlers := worker.NewHandlers()
	worker.Handle(handlers, taskemail.KindSend, func(ctx context.Context, t *asynq.Task, p *taskemail.SendPayload) error {
		err := send(ctx, t, p)
		if err == nil {
			done.Add(1)
		}
		return err
	})
	w, err := worker.New(worker.Config{
		Redis: r.Client, Queues: []queues.Queue{q},
		Handlers: handlers, ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New(),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Shutdown)
	client := asynq.NewClientFromRedisClient(r.Client)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	n := *benchEmails
	var total time.Duration
	b.ResetTimer()
	for round := 0; round < b.N; round++ {
		b.StopTimer()
		if err := insp.PauseQueue(queues.Emails); err != nil {
			b.Fatal(err)
		}
		for i := range n {
			p := taskemail.SendPayload{Template: taskemail.TemplateNotification, To: fmt.Sprintf("guest%d@example.com", i),
				Data: map[string]any{"subject": "Your appointment moved", "message": "Your appointment on Friday moved to 10:30.\n\nSee you then.",
					"link_url": "https://app.salonworks.dev/a/1", "link_text": "See the booking"},
				IdempotencyKey: fmt.Sprintf("bench:%s:%d:%d", mode, round, i)}
			if _, err := client.Enqueue(must(taskemail.NewSendTask(p))); err != nil {
				b.Fatal(err)
			}
		}
		done.Store(0)
		b.StartTimer()
		start := time.Now()
		if err := insp.UnpauseQueue(queues.Emails); err != nil {
			b.Fatal(err)
		}
		for deadline := start.Add(5 * time.Minute); done.Load() < int64(n); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d emails sent in 5 minutes", done.Load(), n)
			}
		}
		elapsed := time.Since(start)
		total += elapsed
		b.Logf("%s/%s: %d emails in %.2f s: %.0f emails/s", target, mode, n, elapsed.Seconds(), float64(n)/elapsed.Seconds())
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "emails/s")
}

// plainSend is the baseline: one SES call with a fixed message for the
// payload the worker decoded; no outbox, no rendering.
func plainSend(p Provider) worker.HandlerFunc[taskemail.SendPayload] {
	return func(ctx context.Context, _ *asynq.Task, pl *taskemail.SendPayload) error {
		_, err := p.Send(ctx, Message{From: testFrom, To: pl.To, Template: pl.Template,
			Subject: "Your appointment moved", HTML: "<p>Your appointment on Friday moved to 10:30.</p>", Text: "Your appointment on Friday moved to 10:30."})
		return err
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkRender renders one notification per iteration.
func BenchmarkRender(b *testing.B) {
	r := newTestRenderer(b)
	data := map[string]any{"subject": "Your appointment moved", "message": "Your appointment on Friday moved to 10:30.\n\nSee you then.",
		"link_url": "https://app.salonworks.dev/a/1", "link_text": "See the booking"}
	for b.Loop() {
		if _, err := r.Render(taskemail.TemplateNotification, data); err != nil {
			b.Fatal(err)
		}
	}
}
