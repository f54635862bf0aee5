package chaos

import (
	"context"
	"testing"
	"time"
)

// size is the campaign's recipients, the sending rate (texts a second,
// so that the campaign is still going out when the faults hit), and how
// long faults last: the short form for make test, the full one for make
// chaos.
func size() (recipients int, rate float64, fault, within time.Duration) {
	if *full {
		return 3000, 50, 30 * time.Second, 15 * time.Minute
	}
	return 300, 30, 4 * time.Second, 3 * time.Minute
}

func TestChaos(t *testing.T) {
	recipients, rate, fault, within := size()
	scenarios := []struct {
		name string
		// run injects the fault once the campaign is under way and returns
		// when the fault is over.
		run func(h *harness)
	}{
		{"twilio storm", func(h *harness) {
			h.standin.SetFaults(Faults{Latency: 200 * time.Millisecond, Refuse500: 0.10, Drop: 0.05, Limit429: 0.05, ListFail: 0.10})
			time.Sleep(fault)
			h.standin.SetFaults(Faults{})
			h.t.Logf("stand-in requests by fault: %v", h.standin.Counts())
		}},
		{"worker killed three times", func(h *harness) {
			for range 3 {
				time.Sleep(fault / 3)
				h.crash.kill(300 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			h.t.Logf("crashes: before hand-over %d, before the request %d, after the answer %d",
				h.crash.counts[beforeHandOver].Load(), h.crash.counts[beforeRequest].Load(), h.crash.counts[afterAnswer].Load())
		}},
		{"redis restart without persistence", func(h *harness) {
			time.Sleep(fault / 2)
			if err := h.rdb.Client.FlushDB(context.Background()).Err(); err != nil {
				h.t.Fatal(err)
			}
		}},
		{"postgres outage", func(h *harness) {
			time.Sleep(time.Second)
			h.proxy.SetDown(true)
			time.Sleep(fault)
			h.proxy.SetDown(false)
		}},
		{"failover between claim and send", func(h *harness) {
			time.Sleep(time.Second)
			for end := time.Now().Add(fault); time.Now().Before(end); {
				h.proxy.Cut()
				time.Sleep(150 * time.Millisecond)
			}
		}},
		{"twilio outage", func(h *harness) {
			time.Sleep(time.Second)
			h.standin.SetDown(true)
			time.Sleep(fault)
			h.standin.SetDown(false)
		}},
	}
	// Each scenario runs twice: on the catalogue's queues (an asynq
	// server each), and on queues wide enough to be served by the batch
	// fetcher.
	for _, sc := range scenarios {
		for _, w := range []struct {
			suffix string
			width  int
		}{{"", 0}, {" (batch fetcher)", batchWidth}} {
			name := sc.name + w.suffix
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, recipients, rate, short, smsQueues(w.width))
				h.start()
				if w.width > 0 {
					h.waitBatchFetchers(len(smsQueues(0)))
				}
				time.Sleep(500 * time.Millisecond)
				h.optOutSome()
				sc.run(h)
				ended := time.Now()
				settle := h.waitSettled(ended, within)
				h.check(h.report(name, settle))
			})
		}
	}
	// The real binary, killed outright: its recovery runs at production
	// intervals, so it is given the goal's 15 minutes in both forms.
	t.Run("worker kill -9", func(t *testing.T) {
		t.Parallel()
		testWorkerKill(t, recipients, rate, 15*time.Minute)
	})
}
