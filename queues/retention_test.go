package queues_test

import (
	"testing"
	"time"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks"
)

// A kind's retention override must name a kind of that queue, or it is
// silently ignored.
func TestKindRetentionNamesKindsOfTheQueue(t *testing.T) {
	for _, q := range queues.All() {
		for kind := range q.KindRetention {
			k, ok := tasks.Lookup(kind)
			if !ok {
				t.Errorf("%s: retention for %q, not a kind of the catalogue", q.Name, kind)
				continue
			}
			if k.Queue != q.Name {
				t.Errorf("%s: retention for %q, a kind of the %s queue", q.Name, kind, k.Queue)
			}
		}
	}
}

// The high-volume kinds keep their completed tasks an hour, so a million a
// day holds about 42,000 in Redis; everything else keeps them a day at
// most, and at least the hour that covers an ingest redelivery.
func TestRetentionBounds(t *testing.T) {
	for _, kind := range []string{"sms:send", "email:send", "sync:api_call"} {
		k, _ := tasks.Lookup(kind)
		if got := queues.MustLookup(k.Queue).RetentionOf(kind); got != time.Hour {
			t.Errorf("retention of %s = %s, want 1h", kind, got)
		}
	}
	for _, k := range tasks.Kinds() {
		got := queues.MustLookup(k.Queue).RetentionOf(k.Name)
		if got < time.Hour || got > 24*time.Hour {
			t.Errorf("retention of %s = %s, want between 1h and 24h", k.Name, got)
		}
	}
}

func TestOptionsForCarriesTheKindsRetention(t *testing.T) {
	q := queues.MustLookup(queues.SMS)
	for kind, want := range map[string]time.Duration{"sms:send": time.Hour, "sms:dispatch_reviews": 24 * time.Hour} {
		opts := q.OptionsFor(kind)
		last := opts[len(opts)-1]
		if last.Value() != want {
			t.Errorf("OptionsFor(%q) retention = %v, want %s", kind, last.Value(), want)
		}
	}
}
