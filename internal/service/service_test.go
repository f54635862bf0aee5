package service

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoopRunsUntilShutdownAndCancelsAPass(t *testing.T) {
	var calls atomic.Int32
	entered := make(chan struct{}, 1)
	l := &Loop{Name: "test", Interval: time.Millisecond, Immediate: true, Run: func(ctx context.Context) error {
		if calls.Add(1) == 3 {
			entered <- struct{}{}
			<-ctx.Done() // a long pass: shutdown must cancel it
			return ctx.Err()
		}
		return nil
	}}
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("third pass never ran")
	}
	l.Shutdown()
	n := calls.Load()
	time.Sleep(20 * time.Millisecond)
	if calls.Load() != n {
		t.Fatalf("loop ran after Shutdown: %d calls, then %d", n, calls.Load())
	}
	l.Shutdown() // twice is harmless
}

func TestLoopRefusesAMissingRun(t *testing.T) {
	if err := (&Loop{Name: "x", Interval: time.Second}).Start(); err == nil {
		t.Fatal("Start without Run succeeded")
	}
	if err := (&Loop{Name: "x", Run: func(context.Context) error { return errors.New("x") }}).Start(); err == nil {
		t.Fatal("Start without Interval succeeded")
	}
}
