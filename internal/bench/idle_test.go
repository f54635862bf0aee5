package bench

import (
	"bufio"
	"cmp"
	"context"
	"flag"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
)

var idleFor = flag.Duration("idle", 20*time.Second, "how long BenchmarkIdleCost counts an idle worker's Redis calls")

// BenchmarkIdleCost counts the Redis calls an idle worker makes, with
// MONITOR filtered to the worker's own database: the calls it sends (each
// a round trip when alone, as on an idle worker) and the commands its
// scripts run inside Redis. The worker runs the catalogue's queues with
// their production concurrencies, then the same with two loops per queue
// (what one extra loop costs), then one queue of concurrency 50 (one loop,
// then the rule's: an asynq server of 2 slots and the batch fetcher).
func BenchmarkIdleCost(b *testing.B) {
	catalogue := queues.All()
	twoLoops := queues.All()
	for i := range twoLoops {
		twoLoops[i].FetchLoops = 2
	}
	configs := []struct {
		name string
		qs   []queues.Queue
	}{
		{"catalogue queues (rule: one loop each)", catalogue},
		{"catalogue queues, two loops each", twoLoops},
		{"one queue of concurrency 50, one loop", []queues.Queue{benchQueueOf(50, 1)}},
		{"one queue of concurrency 50, the rule", []queues.Queue{benchQueueOf(50, 0)}},
	}
	for range b.N {
		for _, c := range configs {
			r := testenv.NewRedis(b)
			loops := 0
			for _, q := range c.qs {
				loops += q.Loops()
				if q.BatchSlots() > 0 {
					loops++ // the batch fetcher
				}
			}
			stop := startJobs(b, r, c.qs, asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil }))
			time.Sleep(3 * time.Second) // past the start's registrations
			calls, scripted, byName := monitor(b, r, *idleFor)
			stop()
			secs := idleFor.Seconds()
			fmt.Fprintf(os.Stderr, "idle %-40s %2d loops: %6.1f calls/s, %6.1f commands/s inside scripts  (%s)\n",
				c.name, loops, float64(calls)/secs, float64(scripted)/secs, top(byName, secs))
		}
	}
}

// monitor counts, for d, the commands sent to r's database by clients
// (calls) and those run by scripts (scripted), and the calls by name.
func monitor(t testing.TB, r *testenv.Redis, d time.Duration) (calls, scripted int, byName map[string]int) {
	conn, err := net.Dial("tcp", r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(d))
	rd := bufio.NewReaderSize(conn, 1<<20)
	if line, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
		t.Fatalf("MONITOR: %q, %v", line, err)
	}
	// A line reads: +1700000000.123456 [3 127.0.0.1:5555] "evalsha" "…"
	// or, for a command run by a script, [3 lua].
	client := fmt.Sprintf("[%d ", r.DB)
	lua := fmt.Sprintf("[%d lua]", r.DB)
	byName = map[string]int{}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			break
		}
		switch {
		case strings.Contains(line, lua):
			scripted++
		case strings.Contains(line, client):
			calls++
			if _, rest, ok := strings.Cut(line, "] \""); ok {
				name, _, _ := strings.Cut(rest, "\"")
				byName[strings.ToLower(name)]++
			}
		}
	}
	return calls, scripted, byName
}

// top formats the calls by name, most frequent first, per second.
func top(byName map[string]int, secs float64) string {
	names := slices.SortedFunc(maps.Keys(byName), func(a, b string) int { return cmp.Compare(byName[b], byName[a]) })
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.2f", n, float64(byName[n])/secs))
	}
	return strings.Join(parts, ", ")
}
