package scheduler_test

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/scheduler"
)

var lagTicks = flag.Int("ticks", 100, "ticks to measure tick-to-enqueue lag over")

// BenchmarkTickLag measures how late after its tick each task is enqueued,
// over an every-second entry, from the enqueue events the dashboard reads.
func BenchmarkTickLag(b *testing.B) {
	for range b.N {
		r := testenv.NewRedis(b)
		entries, err := scheduler.Parse([]byte("replace_defaults: true\nentries:\n  - {name: lag, cron: '@every 1s', kind: sms:dispatch_reviews}\n"))
		if err != nil {
			b.Fatal(err)
		}
		run, err := scheduler.New(scheduler.Config{Entries: entries, Redis: r.Client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		run.Start()
		insp := asynq.NewInspectorFromRedisClient(r.Client)
		var events []*asynq.SchedulerEnqueueEvent
		for len(events) < *lagTicks {
			time.Sleep(time.Second)
			events, err = insp.ListSchedulerEnqueueEvents("lag", asynq.PageSize(1000))
			if err != nil {
				b.Fatal(err)
			}
		}
		run.Shutdown()
		var lags []time.Duration
		for _, ev := range events {
			sec, _ := strconv.ParseInt(ev.TaskID[strings.LastIndexByte(ev.TaskID, ':')+1:], 10, 64)
			lags = append(lags, ev.EnqueuedAt.Sub(time.Unix(sec, 0)))
		}
		slices.Sort(lags)
		p50, p99 := lags[len(lags)/2], lags[len(lags)*99/100]
		fmt.Fprintf(os.Stderr, "tick-to-enqueue lag over %d ticks: p50 %s, p99 %s, max %s\n", len(lags), p50, p99, lags[len(lags)-1])
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	}
}
