package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/scheduler"
)

// scheduledTicks lists the ticks (Unix seconds) of entry that have a task
// in queue, failing on any task of kind that is not a scheduler tick.
func scheduledTicks(t *testing.T, insp *asynq.Inspector, queue, entry string) map[int64]int {
	t.Helper()
	ticks := map[int64]int{}
	idPattern := regexp.MustCompile(`^schedule:` + regexp.QuoteMeta(entry) + `:(\d+)$`)
	for page := 1; ; page++ {
		tasks, err := insp.ListPendingTasks(queue, asynq.Page(page), asynq.PageSize(500))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return ticks
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range tasks {
			if m := idPattern.FindStringSubmatch(ti.ID); m != nil {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				ticks[n]++
			}
		}
		if len(tasks) < 500 {
			return ticks
		}
	}
}

func writeSchedule(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schedule.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func schedulerEnv(r *testenv.Redis, file string) map[string]string {
	return map[string]string{"APP_ENV": "test", "REDIS_URL": r.URL(), "SCHEDULE_FILE": file, "LOG_FORMAT": "json"}
}

// TestTwoSchedulersEnqueueEachTickOnce runs two scheduler processes on an
// every-second entry for more than 30 ticks: every tick has exactly one
// task, none is missing, and only one process enqueued.
func TestTwoSchedulersEnqueueEachTickOnce(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	file := writeSchedule(t, "replace_defaults: true\nentries:\n  - {name: fast, cron: '@every 1s', kind: sync:daily_stats}\n")
	var procs []*testenv.Process
	for range 2 {
		env := schedulerEnv(r, file)
		env["HTTP_ADDR"] = testenv.FreeAddr(t)
		p := start(t, env, "scheduler")
		waitHTTP(t, "http://"+env["HTTP_ADDR"]+"/health/ready", http.StatusOK, 20*time.Second)
		procs = append(procs, p)
	}
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	testenv.WaitFor(t, 60*time.Second, "33 ticks", func() bool { return len(scheduledTicks(t, insp, "sync", "fast")) >= 33 })
	for _, p := range procs {
		if err := p.Stop(t, 10*time.Second); err != nil {
			t.Errorf("scheduler exit: %v", err)
		}
	}
	ticks := scheduledTicks(t, insp, "sync", "fast")
	var first, last int64 = 1 << 62, 0
	for tick, n := range ticks {
		if n != 1 {
			t.Errorf("tick %d has %d tasks", tick, n)
		}
		first, last = min(first, tick), max(last, tick)
	}
	for tick := first; tick <= last; tick++ {
		if ticks[tick] == 0 {
			t.Errorf("tick %d has no task", tick)
		}
	}
	if int(last-first+1) != len(ticks) || len(ticks) < 30 {
		t.Errorf("%d ticks from %d to %d", len(ticks), first, last)
	}
	// Exactly one process enqueued: leadership did not flap.
	var enqueuers int
	for _, p := range procs {
		if strings.Contains(p.Logs(), `"msg":"schedule tick enqueued"`) {
			enqueuers++
		}
	}
	if enqueuers != 1 {
		t.Errorf("%d processes enqueued ticks, want 1 leader", enqueuers)
	}
	// asynq's inspector (what the dashboard reads) lists no entries once
	// both have stopped; while one leads it lists them (see the failover
	// test).
}

// TestLeaderKilledFollowerTakesOver SIGKILLs the leading scheduler: the
// follower leads within 15 s, enqueues the ticks missed in the gap that
// are within grace (entry "caught", grace 1m) once, and skips, with a log
// line, those outside it (entry "dropped", grace 0).
func TestLeaderKilledFollowerTakesOver(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	file := writeSchedule(t, `replace_defaults: true
entries:
  - {name: caught, cron: '@every 2s', kind: sync:daily_stats, grace: 1m}
  - {name: dropped, cron: '@every 2s', kind: salon:reset_queue, grace: 0s}
`)
	procs := map[int]*testenv.Process{}
	for range 2 {
		env := schedulerEnv(r, file)
		env["HTTP_ADDR"] = testenv.FreeAddr(t)
		p := start(t, env, "scheduler")
		waitHTTP(t, "http://"+env["HTTP_ADDR"]+"/health/ready", http.StatusOK, 20*time.Second)
		procs[p.Cmd.Process.Pid] = p
	}
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	testenv.WaitFor(t, 30*time.Second, "a few ticks", func() bool { return len(scheduledTicks(t, insp, "sync", "caught")) >= 3 })

	entries, err := insp.SchedulerEntries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("dashboard lists %d scheduler entries, want 2 (leader only): %+v", len(entries), entries)
	}

	leaderID, err := r.Client.Get(t.Context(), scheduler.LeaderKey).Result()
	if err != nil {
		t.Fatal(err)
	}
	var leaderPid int
	fmt.Sscanf(strings.Split(leaderID, ":")[1], "%d", &leaderPid)
	leader, follower := procs[leaderPid], (*testenv.Process)(nil)
	for pid, p := range procs {
		if pid != leaderPid {
			follower = p
		}
	}
	if leader == nil || follower == nil {
		t.Fatalf("leader %q is not one of the two processes", leaderID)
	}
	killedAt := time.Now()
	leader.Cmd.Process.Signal(syscall.SIGKILL)
	<-leader.Done()
	testenv.WaitFor(t, 20*time.Second, "the follower to lead", func() bool {
		return strings.Contains(follower.Logs(), `"msg":"scheduler became leader"`)
	})
	takeover := time.Since(killedAt)
	t.Logf("takeover after SIGKILL: %s", takeover.Round(100*time.Millisecond))
	if takeover > 15*time.Second {
		t.Errorf("takeover took %s, want within 15 s", takeover)
	}
	afterTakeover := time.Now().Unix()
	testenv.WaitFor(t, 20*time.Second, "ticks after takeover", func() bool {
		for tick := range scheduledTicks(t, insp, "sync", "caught") {
			if tick > afterTakeover+2 {
				return true
			}
		}
		return false
	})
	if err := follower.Stop(t, 10*time.Second); err != nil {
		t.Errorf("follower exit: %v", err)
	}

	caught := scheduledTicks(t, insp, "sync", "caught")
	var first, last int64 = 1 << 62, 0
	for tick := range caught {
		first, last = min(first, tick), max(last, tick)
	}
	for tick := first; tick <= last; tick += 2 {
		if caught[tick] != 1 {
			t.Errorf("entry caught: tick %d has %d tasks, want 1 (gap caught up once)", tick, caught[tick])
		}
	}
	dropped := scheduledTicks(t, insp, "sync", "dropped")
	missing := 0
	for tick := first; tick <= last; tick += 2 {
		if dropped[tick] > 1 {
			t.Errorf("entry dropped: tick %d has %d tasks", tick, dropped[tick])
		}
		if dropped[tick] == 0 && tick >= killedAt.Unix()-2 {
			missing++
		}
	}
	if missing == 0 {
		t.Error("entry dropped (grace 0) had no tick skipped in the gap")
	}
	if !strings.Contains(follower.Logs(), `"msg":"schedule tick skipped: outside its grace window","entry":"dropped"`) &&
		!regexp.MustCompile(`schedule tick skipped: outside its grace window.*"entry":"dropped"`).MatchString(follower.Logs()) {
		t.Error("no log line for the skipped tick")
	}
	if regexp.MustCompile(`schedule tick skipped.*"entry":"caught"`).MatchString(follower.Logs()) {
		t.Error("a tick of entry caught (grace 1m) was skipped")
	}
}
