// Package service is the one lifecycle of every long-running part of a
// process (queue servers, the scheduler, the SMS reconciler, the email
// sweeper, the ingest bridge, the metrics publisher): Start returns once
// the part runs, Shutdown returns once it has stopped. Parts are started in
// order and stopped in reverse.
package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Service is one long-running part of a process.
type Service interface {
	// Start begins the work and returns; an error means nothing runs.
	Start() error
	// Shutdown stops the work and returns when it has stopped.
	Shutdown()
}

// Loop is a Service that calls Run every Interval until shut down. Each
// call gets a context that ends at Timeout (Interval when zero) or at
// shutdown, whichever is first, so a slow pass cannot outlive the process.
type Loop struct {
	// Name identifies the loop in logs.
	Name string
	// Interval is the time between the end of one call and the next.
	Interval time.Duration
	// Timeout bounds each call; zero means Interval.
	Timeout time.Duration
	// Immediate runs the first call at Start instead of after Interval.
	Immediate bool
	// Run does one pass; an error is logged, and the loop goes on.
	Run func(ctx context.Context) error
	// Logger receives failed passes.
	Logger *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start implements Service.
func (l *Loop) Start() error {
	if l.Run == nil || l.Interval <= 0 {
		return errors.New("service: loop " + l.Name + " needs Run and a positive Interval")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done != nil {
		return errors.New("service: loop " + l.Name + " already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go l.loop(ctx, l.done)
	return nil
}

func (l *Loop) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	wait := l.Interval
	if l.Immediate {
		wait = 0
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		l.pass(ctx)
		timer.Reset(l.Interval)
	}
}

func (l *Loop) pass(ctx context.Context) {
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = l.Interval
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := l.Run(ctx); err != nil && l.Logger != nil && !errors.Is(err, context.Canceled) {
		l.Logger.Error("background pass failed", "service", l.Name, "err", err)
	}
}

// Shutdown implements Service: it cancels a running pass and waits for it.
func (l *Loop) Shutdown() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.cancel, l.done = nil, nil
	l.mu.Unlock()
	if done == nil {
		return
	}
	cancel()
	<-done
}

var _ Service = (*Loop)(nil)
