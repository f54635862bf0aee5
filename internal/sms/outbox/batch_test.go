package outbox

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/salonworks/jobs/internal/sms/text"
)

// campaignMessages returns n campaign messages to customers 1..n (no
// customer rows: the column is left NULL for speed), keys included.
func (f *fixture) campaignMessages(from, n int) []Message {
	msgs := make([]Message, 0, n)
	body := text.MarketingBody("Spring special: 20% off color this week!")
	for i := from; i < from+n; i++ {
		msgs = append(msgs, Message{
			IdempotencyKey: CampaignKey(f.campaignID, int64(i)),
			SalonID:        f.salonID,
			CampaignID:     f.campaignID,
			Category:       CategoryMarketing,
			Kind:           KindCampaign,
			To:             "+1555555" + string(rune('0'+i%10)) + "101",
			Body:           body,
		})
	}
	return msgs
}

func TestCreateBatchTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	msgs := f.campaignMessages(1, 20000)

	ids, err := f.store.CreateBatch(ctx, msgs)
	if err != nil {
		t.Fatalf("first CreateBatch() = %v", err)
	}
	if len(ids) != 20000 || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != 20000 {
		t.Fatalf("first CreateBatch() returned %d ids, want 20000 distinct, ascending", len(ids))
	}
	again, err := f.store.CreateBatch(ctx, msgs)
	if err != nil || len(again) != 0 {
		t.Fatalf("second CreateBatch() = %d ids, %v; want none", len(again), err)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages WHERE campaign_id = $1 AND status = 'pending'
		AND segments = 1 AND encoding = 'GSM-7' AND customer_id IS NULL AND send_after IS NULL`, f.campaignID); n != 20000 {
		t.Errorf("pending campaign rows = %d, want 20000", n)
	}

	// Half old, half new: only the new half is returned.
	more, err := f.store.CreateBatch(ctx, f.campaignMessages(15001, 10000))
	if err != nil || len(more) != 5000 {
		t.Fatalf("overlapping CreateBatch() = %d ids, %v; want 5000", len(more), err)
	}
}

func TestCreateBatchConcurrentOverlap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Two dispatchers over one campaign, given the recipients in opposite
	// orders: no deadlock, no duplicate, every row created exactly once.
	a := f.campaignMessages(1, 12000)
	b := slices.Clone(a)
	slices.Reverse(b)
	var (
		wg  sync.WaitGroup
		ids [2][]int64
	)
	for i, msgs := range [][]Message{a, b} {
		wg.Go(func() {
			var err error
			if ids[i], err = f.store.CreateBatch(context.Background(), msgs); err != nil {
				t.Errorf("CreateBatch() = %v", err)
			}
		})
	}
	wg.Wait()
	all := slices.Concat(ids[0], ids[1])
	slices.Sort(all)
	if len(all) != 12000 || len(slices.Compact(all)) != 12000 {
		t.Errorf("concurrent CreateBatch() returned %d ids in all, want 12000 distinct", len(all))
	}
}

func TestCreateBatchDuplicateKeysInOneCall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	msgs := f.campaignMessages(1, 3)
	msgs = append(msgs, msgs[0], msgs[2])
	ids, err := f.store.CreateBatch(context.Background(), msgs)
	if err != nil || len(ids) != 3 {
		t.Fatalf("CreateBatch() = %d ids, %v; want 3", len(ids), err)
	}
}

func TestCreateBatchInvalidWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	msgs := f.campaignMessages(1, 6000)
	msgs[5500].To = "not a number"
	_, err := f.store.CreateBatch(context.Background(), msgs)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("CreateBatch() = %v, want ErrInvalid", err)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_messages`); n != 0 {
		t.Errorf("rows = %d, want 0", n)
	}
	if ids, err := f.store.CreateBatch(context.Background(), nil); err != nil || len(ids) != 0 {
		t.Errorf("CreateBatch(nil) = %v, %v; want nothing", ids, err)
	}
}

// BenchmarkCreateBatch measures a 100,000-recipient fan-out into the
// outbox (the budget for it and the enqueues is 10 s).
func BenchmarkCreateBatch(b *testing.B) {
	f := newFixture(b)
	from := 0
	for b.Loop() {
		b.StopTimer()
		msgs := f.campaignMessages(from, 100000)
		from += 100000
		b.StartTimer()
		ids, err := f.store.CreateBatch(context.Background(), msgs)
		if err != nil || len(ids) != 100000 {
			b.Fatalf("CreateBatch() = %d ids, %v", len(ids), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/100k")
}
