package testenv

import (
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// WaitFor polls cond every few milliseconds until it holds, and fails the
// test naming what it waited for when within passes first. It is the one
// wait-for of the test suites: no test sleeps a fixed time and hopes.
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitTask polls the task id of queue through insp until ok holds for it,
// and returns it; it fails the test with the last state seen when within
// passes first. It is the one wait for a task's state in the test suites.
func WaitTask(t testing.TB, insp *asynq.Inspector, queue, id string, within time.Duration, ok func(*asynq.TaskInfo) bool) *asynq.TaskInfo {
	t.Helper()
	var last *asynq.TaskInfo
	WaitFor(t, within, "task "+id+" of queue "+queue, func() bool {
		info, err := insp.GetTaskInfo(queue, id)
		if err != nil {
			return false
		}
		last = info
		return ok(info)
	})
	if last == nil {
		t.Fatalf("task %s of queue %s never found", id, queue)
	}
	return last
}

// InState is a WaitTask condition: the task is in state.
func InState(state asynq.TaskState) func(*asynq.TaskInfo) bool {
	return func(info *asynq.TaskInfo) bool { return info.State == state }
}

// WaitGroup waits for wg, and fails the test when within passes first.
func WaitGroup(t testing.TB, wg *sync.WaitGroup, within time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(within):
		t.Fatalf("not done within %v", within)
	}
}
