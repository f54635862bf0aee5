package queues

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCatalogueMatchesDesign(t *testing.T) {
	want := map[string]struct {
		concurrency, retries int
		timeout              time.Duration
	}{
		Emails:  {10, 3, 30 * time.Second},
		Uploads: {5, 2, 5 * time.Minute},
		Sync:    {3, 5, 10 * time.Minute},
		Reports: {2, 1, 15 * time.Minute},
		SMS:     {10, 5, 30 * time.Second},
		SMSBulk: {10, 5, 30 * time.Second},
	}
	if len(All()) != len(want) {
		t.Fatalf("catalogue has %d queues, want %d", len(All()), len(want))
	}
	for _, q := range All() {
		w, ok := want[q.Name]
		if !ok {
			t.Errorf("unexpected queue %q", q.Name)
			continue
		}
		if q.Concurrency != w.concurrency || q.MaxRetry != w.retries || q.Timeout != w.timeout {
			t.Errorf("%s = concurrency %d, retries %d, timeout %s; want %d, %d, %s",
				q.Name, q.Concurrency, q.MaxRetry, q.Timeout, w.concurrency, w.retries, w.timeout)
		}
		if q.Of != "" {
			if o, ok := Lookup(q.Of); !ok || o.Of != "" {
				t.Errorf("internal queue %s belongs to %q, want a producers' queue", q.Name, q.Of)
			}
			if slices.Contains(ProducerNames(), q.Name) {
				t.Errorf("internal queue %s is among the producers' queues", q.Name)
			}
		}
		if q.MaxRetry < 1 {
			t.Errorf("%s has no retry: a task orphaned by a killed worker would be lost", q.Name)
		}
	}
}

func TestBackoffIsCappedExponentialWithFullJitter(t *testing.T) {
	q := Queue{BackoffBase: 10 * time.Second, BackoffCap: 5 * time.Minute}
	wantBounds := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute}
	for n, want := range wantBounds {
		if got := q.BackoffBound(n); got != want {
			t.Errorf("BackoffBound(%d) = %s, want %s", n, got, want)
		}
	}
	// Full jitter: draws spread over the whole range, never past the bound.
	for n := range 6 {
		bound := q.BackoffBound(n)
		var lowHalf, highHalf int
		for range 2000 {
			d := q.Backoff(n)
			if d < time.Second || d > bound {
				t.Fatalf("Backoff(%d) = %s outside [1s, %s]", n, d, bound)
			}
			if d < bound/2 {
				lowHalf++
			} else {
				highHalf++
			}
		}
		if lowHalf < 500 || highHalf < 500 {
			t.Errorf("Backoff(%d) is not spread over its range: %d below half, %d above", n, lowHalf, highHalf)
		}
	}
	if got := q.BackoffBound(1000); got != q.BackoffCap {
		t.Errorf("BackoffBound(1000) = %s, want the cap", got)
	}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "empty selects all", in: "", want: Names()},
		{name: "subset in given order, sms with its internal queue", in: "sms, emails", want: []string{"sms", "sms_bulk", "emails"}},
		{name: "internal", in: "sms_bulk", wantErr: `queue "sms_bulk" is internal: it is served with "sms"`},
		{name: "unknown", in: "sms,email", wantErr: `unknown queue "email"`},
		{name: "repeated", in: "sms,sms", wantErr: `queue "sms" listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Select(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, q := range got {
				names = append(names, q.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Select(%q) = %v, want %v", tt.in, names, tt.want)
			}
		})
	}
}

func TestLoops(t *testing.T) {
	tests := []struct {
		concurrency, override int
		want                  []int
		batch                 int
	}{
		{concurrency: 1, want: []int{1}},
		{concurrency: SingleLoopConcurrency, want: []int{SingleLoopConcurrency}},
		{concurrency: 11, want: []int{BatchServerSlots}, batch: 11 - BatchServerSlots},
		{concurrency: 50, want: []int{BatchServerSlots}, batch: 50 - BatchServerSlots},
		{concurrency: 50, override: 3, want: []int{17, 17, 16}},
		{concurrency: 50, override: 50, want: slices.Repeat([]int{1}, 50)},
		{concurrency: 10, override: 2, want: []int{5, 5}},
		{concurrency: 3, override: 8, want: []int{1, 1, 1}},
	}
	for _, tt := range tests {
		q := Queue{Concurrency: tt.concurrency, FetchLoops: tt.override}
		got := q.LoopConcurrency()
		if !slices.Equal(got, tt.want) {
			t.Errorf("concurrency %d, FetchLoops %d: shares %v, want %v", tt.concurrency, tt.override, got, tt.want)
		}
		if len(got) != q.Loops() {
			t.Errorf("concurrency %d: %d shares for %d loops", tt.concurrency, len(got), q.Loops())
		}
		if b := q.BatchSlots(); b != tt.batch {
			t.Errorf("concurrency %d, FetchLoops %d: %d batch slots, want %d", tt.concurrency, tt.override, b, tt.batch)
		}
		total := q.BatchSlots()
		for _, s := range got {
			total += s
		}
		if total != tt.concurrency {
			t.Errorf("concurrency %d, FetchLoops %d: slots add up to %d", tt.concurrency, tt.override, total)
		}
	}
	for _, q := range All() {
		if q.Loops() != 1 || q.BatchSlots() != 0 {
			t.Errorf("%s (concurrency %d) runs %d servers and %d batch slots; one server feeds its tasks, and every extra loop adds Redis calls to an idle worker", q.Name, q.Concurrency, q.Loops(), q.BatchSlots())
		}
	}
}
