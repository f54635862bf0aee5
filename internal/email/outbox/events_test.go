package outbox

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestRecordFeedbackOnceUnderConcurrency delivers one notification ten
// times at once, as SNS retries can: it applies once.
func TestRecordFeedbackOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.create(t).ID
	if _, err := f.store.Claim(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkSent(ctx, id, "ses-1", t0); err != nil {
		t.Fatal(err)
	}
	var (
		wg                  sync.WaitGroup
		applied, duplicates atomic.Int32
	)
	for range 10 {
		wg.Go(func() {
			res, err := f.store.RecordFeedback(ctx, Feedback{NotificationID: "n1", Event: EventTransientBounce, ProviderMessageID: "ses-1", At: t0})
			switch {
			case err != nil:
				t.Errorf("RecordFeedback() = %v", err)
			case res.Outcome == FeedbackApplied:
				applied.Add(1)
			case res.Outcome == FeedbackDuplicate:
				duplicates.Add(1)
			}
		})
	}
	wg.Wait()
	if applied.Load() != 1 || duplicates.Load() != 9 {
		t.Fatalf("10 concurrent deliveries: %d applied, %d duplicates; want 1 and 9", applied.Load(), duplicates.Load())
	}
	var n int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM email_transient_bounces`).Scan(&n); err != nil || n != 1 {
		t.Errorf("transient bounces recorded = %d, %v; want 1", n, err)
	}
}

func TestRecordFeedbackInvalid(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, fb := range []Feedback{
		{Event: EventDelivery, ProviderMessageID: "ses-1"},
		{NotificationID: "n1", Event: EventDelivery},
	} {
		if _, err := f.store.RecordFeedback(context.Background(), fb); !errors.Is(err, ErrInvalid) {
			t.Errorf("RecordFeedback(%+v) = %v, want ErrInvalid", fb, err)
		}
	}
}
