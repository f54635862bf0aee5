package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/taskerr"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks"
)

// continueRateLimited keeps the promise that a rate limit never spends a
// retry on a task's last attempt too. asynq does not count a rate-limited
// attempt (IsFailure), but it archives any failing attempt of a task whose
// retries are already spent. So on that last attempt the task is
// continued instead: a copy is scheduled after the delay, with no retries
// left (as before), and this attempt ends without error.
func continueRateLimited(q queues.Queue, client *asynq.Client) func(asynq.Handler) asynq.Handler {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			rl, limited := taskerr.AsRateLimit(err)
			if !limited {
				return err
			}
			retried, _ := taskinfo.RetryCount(ctx)
			maxRetry, _ := taskinfo.MaxRetry(ctx)
			if retried < maxRetry {
				return err
			}
			id, _ := taskinfo.ID(ctx)
			// The headers go along: the continued task stays in its trace.
			cont := asynq.NewTaskWithHeaders(t.Type(), t.Payload(), t.Headers())
			retention := q.RetentionOf(t.Type())
			if tasks.HoldsSecret(t.Type(), t.Payload()) {
				// As the constructors do: a reset link or an API call's
				// body is not kept readable once the task is done.
				retention = 0
			}
			_, cerr := client.EnqueueContext(ctx, cont,
				asynq.Queue(q.Name), asynq.MaxRetry(0), asynq.Timeout(q.Timeout), asynq.Retention(retention),
				asynq.ProcessIn(rl.Delay), asynq.TaskID(id+":rl"))
			if cerr != nil && !errors.Is(cerr, asynq.ErrTaskIDConflict) {
				return fmt.Errorf("%w; continuing the task failed: %v", err, cerr)
			}
			return nil
		})
	}
}
