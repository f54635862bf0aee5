// Package reports handles report:generate: a salon owner's request, a row
// in reports, becomes a file in storage (an appointments CSV streamed from
// Postgres in constant memory, or a PDF summary with tables and a chart),
// a link that expires, and an email to the requester with that link.
//
// Progress goes to the row (0–100) and to the task's result as the report
// is written. A report that cannot be made (an unknown time zone, or the
// last attempt failing) ends failed, says why in its row, and the
// requester is told.
package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/storage"
	"github.com/salonworks/jobs/internal/taskerr"
	taskreport "github.com/salonworks/jobs/tasks/report"
)

// LinkTTL is how long a report's download link works.
const LinkTTL = 7 * 24 * time.Hour

// Enqueuer is the part of asynq.Client the generator uses.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Generator handles report:generate.
type Generator struct {
	// DB holds reports and the tables reports read.
	DB *pgxpool.Pool
	// Storage receives the files and makes their links.
	Storage storage.Storage
	// Enqueue sends the email:send notifications.
	Enqueue Enqueuer
	// Clock stamps the row's times and the link's expiry; nil is the wall
	// clock.
	Clock clock.Clock
	// FinalAttempt reports whether a failure now is the task's last; nil
	// reads asynq's retry count and limit from ctx.
	FinalAttempt func(ctx context.Context) bool
}

// Generate handles one attempt of report:generate: it makes the report the
// payload names, writing its progress to the task's result.
func (g *Generator) Generate(ctx context.Context, t *asynq.Task, p *taskreport.GeneratePayload) error {
	return g.generate(ctx, p.ReportID, taskinfo.Result(ctx, t))
}

// generate makes report id; result, when not nil, receives progress.
func (g *Generator) generate(ctx context.Context, id int64, result io.Writer) error {
	r, err := claim(ctx, g.DB, id, g.Clock.Now())
	switch {
	case errors.Is(err, errNoReport):
		return taskerr.Permanent(fmt.Sprintf("report %d does not exist", id), err)
	case err != nil:
		return err
	}
	switch r.Status {
	case "done":
		// A duplicate task, or a retry after the notification could not be
		// enqueued: the email's idempotency key makes this send once.
		return settle(g.notifyDone(ctx, r, r.URL))
	case "failed":
		return nil
	}
	prog := &progress{g: g, id: id, result: result}
	key, err := g.render(ctx, r, prog)
	if err == nil {
		var url string
		if url, err = g.Storage.URL(ctx, key, LinkTTL); err == nil {
			if err = markDone(ctx, g.DB, id, key, url, g.Clock.Now()); err == nil {
				prog.final(key)
				return settle(g.notifyDone(ctx, r, url))
			}
		}
	}
	return g.failed(ctx, r, err)
}

// render writes the report's file and returns its key.
func (g *Generator) render(ctx context.Context, r report, prog *progress) (string, error) {
	switch r.Type {
	case TypeAppointmentsExport:
		return g.exportAppointments(ctx, r, prog)
	case TypeSalonSummary:
		return g.summarize(ctx, r, prog)
	}
	return "", fail(fmt.Sprintf("unknown report type %q", r.Type), nil)
}

// failed decides what err means: a permanent failure, or the last attempt
// failing, ends the report (row failed, requester told); anything else is
// retried with the row left running.
func (g *Generator) failed(ctx context.Context, r report, err error) error {
	var f *failure
	permanent := errors.As(err, &f) || taskerr.IsPermanent(err)
	// A worker shutting down cancels ctx and asynq puts the task back:
	// whatever the attempt, the next run must find the row running.
	shutdown := errors.Is(ctx.Err(), context.Canceled)
	if !permanent && (shutdown || !g.finalAttempt(ctx)) {
		return fmt.Errorf("report %d: %w", r.ID, err)
	}
	reason := "the report could not be generated: " + err.Error()
	if f != nil {
		reason = f.Reason
	}
	// The task's own context may be what failed (timeout, shutdown).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if merr := markFailed(ctx, g.DB, r.ID, truncate(reason, 1000), g.Clock.Now()); merr != nil {
		return errors.Join(fmt.Errorf("report %d: %w", r.ID, err), merr)
	}
	if nerr := g.notifyFailed(ctx, r); nerr != nil {
		return errors.Join(taskerr.Permanent(fmt.Sprintf("report %d failed", r.ID), err), nerr)
	}
	return taskerr.Permanent(fmt.Sprintf("report %d failed: %s", r.ID, reason), err)
}

func (g *Generator) finalAttempt(ctx context.Context) bool {
	if g.FinalAttempt != nil {
		return g.FinalAttempt(ctx)
	}
	retried, ok1 := taskinfo.RetryCount(ctx)
	limit, ok2 := taskinfo.MaxRetry(ctx)
	return ok1 && ok2 && retried >= limit
}

// failure is a report that cannot be made whatever the retries; Reason is
// written to the row.
type failure struct {
	Reason string
	Err    error
}

func (f *failure) Error() string {
	if f.Err == nil {
		return f.Reason
	}
	return f.Reason + ": " + f.Err.Error()
}

func (f *failure) Unwrap() error { return f.Err }

func fail(reason string, err error) error { return &failure{Reason: reason, Err: err} }

// settle makes a *failure in err permanent for the queue.
func settle(err error) error {
	var f *failure
	if errors.As(err, &f) {
		return taskerr.Permanent(f.Reason, err)
	}
	return err
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// progress writes a running report's progress to its row and the task's
// result, only when the percentage moves.
type progress struct {
	g      *Generator
	id     int64
	result io.Writer
	last   int
}

// set records pct (0–99; 100 is the done row's). A failed write is not
// the report's failure: it only delays what a watcher sees.
func (p *progress) set(ctx context.Context, pct int) {
	pct = min(max(pct, 0), 99)
	if pct <= p.last {
		return
	}
	p.last = pct
	if setProgress(ctx, p.g.DB, p.id, pct) == nil {
		p.write(map[string]any{"progress": pct})
	}
}

func (p *progress) final(key string) {
	p.write(map[string]any{"progress": 100, "storage_key": key})
}

func (p *progress) write(v map[string]any) {
	if p.result == nil {
		return
	}
	b, _ := json.Marshal(v)
	p.result.Write(b)
}
