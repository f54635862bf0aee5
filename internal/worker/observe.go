package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/queues"
	"go.opentelemetry.io/otel/trace"
)

// Outcomes of one attempt, as logged and counted.
const (
	OutcomeSucceeded   = "succeeded"
	OutcomeRetried     = "retried"
	OutcomeArchived    = "archived"
	OutcomeRateLimited = "rate_limited"
	OutcomeInterrupted = "interrupted"
)

// outcome classifies an attempt's result the way asynq will act on it.
func outcome(ctx context.Context, err error, retried, maxRetry int, stopping bool) string {
	switch {
	case err == nil:
		return OutcomeSucceeded
	case stopping && errors.Is(err, context.Canceled):
		return OutcomeInterrupted
	case taskerr.IsPermanent(err):
		return OutcomeArchived
	}
	if _, ok := taskerr.AsRateLimit(err); ok {
		// Rescheduled without spending a retry, on the last attempt too
		// (continueRateLimited).
		return OutcomeRateLimited
	}
	if retried >= maxRetry {
		return OutcomeArchived
	}
	return OutcomeRetried
}

// observe is the middleware that logs one line per finished attempt (kind,
// queue, task ID, attempt, duration, outcome), records it in metrics and
// traces it: the handler runs under the attempt's span, so its statements
// and provider calls are the span's children and the log line carries
// trace_id and span_id. Payloads are never logged; handlers' errors are
// expected to be masked. A nil tp traces nothing.
func observe(q queues.Queue, logger *slog.Logger, m *metrics.Metrics, stopping func() bool, tp trace.TracerProvider) func(asynq.Handler) asynq.Handler {
	queue := q.Name
	inFlight := m.TasksInFlight.WithLabelValues(queue)
	tracer := newAttemptTracer(tp, q)
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			inFlight.Inc()
			ctx, span := tracer.start(ctx, t)
			err := next.ProcessTask(ctx, t)
			d := time.Since(start)
			inFlight.Dec()

			retried, _ := taskinfo.RetryCount(ctx)
			maxRetry, _ := taskinfo.MaxRetry(ctx)
			id, _ := taskinfo.ID(ctx)
			out := outcome(ctx, err, retried, maxRetry, stopping())
			if out == OutcomeRetried {
				err = tracer.plan(t, retried, err)
			}
			m.Observe(t.Type(), queue, out, d)

			level := slog.LevelInfo
			attrs := []slog.Attr{
				slog.String("kind", t.Type()),
				slog.String("queue", queue),
				slog.String("task_id", id),
				slog.Int("attempt", retried+1),
				slog.Int("max_attempts", maxRetry+1),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.String("outcome", out),
			}
			if err != nil {
				// Handlers mask what they know; this catches what they
				// quote from elsewhere (an API's answer, a driver's error).
				attrs = append(attrs, slog.String("error", redact.Text(err.Error())))
				if out == OutcomeArchived || out == OutcomeRetried {
					level = slog.LevelWarn
				}
				if rl, ok := taskerr.AsRateLimit(err); ok {
					attrs = append(attrs, slog.Duration("retry_in", rl.Delay))
				}
			}
			logger.LogAttrs(ctx, level, "task finished", attrs...)
			tracer.end(span, t, id, retried, maxRetry, out, err)
			return err
		})
	}
}
