package worker

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/internal/tracing"
	"github.com/salonworks/jobs/queues"
)

// attemptTracer starts the span of each attempt. Every attempt of a task
// reads the same traceparent from the task's headers, so a retried task's
// attempts are siblings in one trace, under the producer's span.
type attemptTracer struct {
	off    bool // tracing is off: no span, not even a no-op one in ctx
	tracer trace.Tracer
	queue  string
	delay  asynq.RetryDelayFunc
}

func newAttemptTracer(tp trace.TracerProvider, q queues.Queue) attemptTracer {
	return attemptTracer{off: tracing.IsOff(tp), tracer: tracing.Tracer(tp), queue: q.Name, delay: retryDelay(q)}
}

// noopSpan is the span of an attempt when tracing is off.
var noopSpan = trace.SpanFromContext(context.Background())

// plan draws the delay before the retry of a failed attempt now, so the
// span records the delay asynq applies: the queue's backoff is random, and
// retryDelay takes the drawn value back from the error.
func (a attemptTracer) plan(t *asynq.Task, retried int, err error) error {
	return &retryPlan{err: err, delay: a.delay(retried, err, t)}
}

// retryPlan is a failed attempt's error with the delay drawn for its
// retry. It unwraps to the handler's error and says the same.
type retryPlan struct {
	err   error
	delay time.Duration
}

func (e *retryPlan) Error() string { return e.err.Error() }
func (e *retryPlan) Unwrap() error { return e.err }

// plannedDelay returns the delay plan drew for err's retry.
func plannedDelay(err error) (time.Duration, bool) {
	var p *retryPlan
	if errors.As(err, &p) {
		return p.delay, true
	}
	return 0, false
}

// start returns ctx holding the attempt's span. The span's name is the
// kind: task IDs and payloads stay in attributes, and only safe ones.
func (a attemptTracer) start(ctx context.Context, t *asynq.Task) (context.Context, trace.Span) {
	if a.off {
		return ctx, noopSpan
	}
	ctx = tracing.Extract(ctx, t.Headers())
	return a.tracer.Start(ctx, "process "+t.Type(), trace.WithSpanKind(trace.SpanKindConsumer))
}

// end records how the attempt went, the way observe logs it, and ends the
// span. The error's text is left out: a provider's answer may quote a
// recipient; the task's log line holds its masked form.
func (a attemptTracer) end(span trace.Span, t *asynq.Task, id string, retried, maxRetry int, out string, err error) {
	if !span.IsRecording() {
		span.End()
		return
	}
	attrs := []attribute.KeyValue{
		attribute.String("messaging.system", "asynq"),
		attribute.String("messaging.operation.type", "process"),
		attribute.String("messaging.destination.name", a.queue),
		attribute.String("jobs.task.kind", t.Type()),
		attribute.String("jobs.task.queue", a.queue),
		attribute.String("jobs.task.id", id),
		attribute.Int("jobs.task.attempt", retried+1),
		attribute.Int("jobs.task.max_attempts", maxRetry+1),
		attribute.String("jobs.task.outcome", out),
	}
	if d, ok := plannedDelay(err); ok {
		attrs = append(attrs, attribute.Float64("jobs.task.retry_delay_s", d.Round(time.Millisecond).Seconds()))
	} else if rl, ok := taskerr.AsRateLimit(err); ok {
		attrs = append(attrs, attribute.Float64("jobs.task.retry_delay_s", rl.Delay.Round(time.Millisecond).Seconds()))
	}
	if err != nil {
		class := "error"
		switch {
		case taskerr.IsPermanent(err):
			class = "permanent"
		case out == OutcomeRateLimited:
			class = "rate_limited"
		case out == OutcomeInterrupted:
			class = "interrupted"
		}
		attrs = append(attrs, attribute.String("error.type", class))
		if out != OutcomeRateLimited && out != OutcomeInterrupted {
			span.SetStatus(codes.Error, out)
		}
	}
	span.SetAttributes(attrs...)
	span.End()
}
