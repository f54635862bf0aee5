package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/service"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/queues"
)

// FeedInterval is how often a Feeder hands out the turns of the senders
// with texts in line.
const FeedInterval = 50 * time.Millisecond

// feedIdle is how long a Feeder that found no line waits before it looks
// again: one Redis call every two seconds for an idle worker.
const feedIdle = 2 * time.Second

// turnFresh is how long a turn handed to a task stays its own: a task that
// starts later (a crowded queue, a worker restart) asks again.
const turnFresh = 5 * time.Second

// maxFeedRounds bounds the takes from one sender's lines in a pass when
// the texts taken are no longer to be sent (a cancelled or paused
// campaign's): each round skips them and takes again.
const maxFeedRounds = 20

// Feeder hands the turns of each sender with texts in line to those texts,
// in fair turns across the salons sharing the sender (see lines.go): at
// each turn the text's sms:send task is enqueued to the internal sms_bulk
// queue under a task ID that carries the turn, and sends without asking
// the limiter again. Every worker serving sms runs one; they share the
// turns through the limiter and take each text from its line atomically,
// so none is handed out twice.
type Feeder struct {
	Limiter *Limiter
	Store   *outbox.Store
	Enqueue Enqueuer
	Logger  *slog.Logger
	// Metrics counts the turns handed out by class; nil counts nothing.
	Metrics *SendMetrics
	// Quiet, when set, is the sending window of review and marketing
	// texts (SMS_QUIET_HOURS): a text whose salon is outside it takes no
	// turn, it waits for the window's opening (a task in sms_bulk), and
	// the turn goes to the next text in line.
	Quiet *text.QuietHours

	mu        sync.Mutex
	idleUntil time.Time
}

// Service is the Feeder as a loop of the worker process.
func (f *Feeder) Service() service.Service {
	return &service.Loop{Name: "sms feeder", Interval: FeedInterval, Timeout: 5 * time.Second, Run: f.Feed, Logger: f.Logger}
}

// Feed does one pass: every sender with texts in line gets the turns its
// rate made free since the last pass, handed to its texts in fair turns.
// A pass that finds no line makes the next ones wait two seconds.
func (f *Feeder) Feed(ctx context.Context) error {
	f.mu.Lock()
	idle := time.Now().Before(f.idleUntil)
	f.mu.Unlock()
	if idle {
		return nil
	}
	senders, err := f.Limiter.lineSenders(ctx)
	if err != nil {
		return err
	}
	if len(senders) == 0 {
		f.mu.Lock()
		f.idleUntil = time.Now().Add(feedIdle)
		f.mu.Unlock()
		return nil
	}
	var errs []error
	for sender, p := range senders {
		if err := f.feed(ctx, sender, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// feed hands out the free turns of one sender.
func (f *Feeder) feed(ctx context.Context, sender string, p time.Duration) error {
	inLine, err := f.Limiter.InLine(ctx, sender)
	if err != nil {
		return err
	}
	want := int(min(int64(feedBurst(p)), max(inLine, 1)))
	granted, err := f.Limiter.grant(ctx, sender, p, want, feedAhead)
	if err != nil || granted == 0 {
		return err
	}
	var handed int
	for round := 0; handed < granted && round < maxFeedRounds; round++ {
		taken, err := f.Limiter.take(ctx, sender, granted-handed)
		if err != nil {
			return err
		}
		if len(taken) == 0 {
			return nil // the lines ran dry: the turns left go unused
		}
		ids := make([]int64, len(taken))
		for i, t := range taken {
			ids[i] = t.Row
		}
		sendable, err := f.Store.Sendable(ctx, ids)
		if err != nil {
			// Back in line, in their place: nothing is lost, the turns are.
			f.rejoin(ctx, sender, p, taken)
			return err
		}
		now := time.Now()
		for _, t := range taken {
			w, ok := sendable[t.Row]
			if !ok {
				continue // sent, skipped, or its campaign stopped meanwhile
			}
			if opening, quiet := f.quiet(w, now); quiet {
				if err := f.holdQuiet(ctx, t.Row, opening); err != nil {
					// Pending all the same: its task or the sweep sends it.
					f.Logger.WarnContext(ctx, "sms text left to the sweep", "message_id", t.Row, "error", err)
				}
				continue
			}
			// In line since it joined: the row's last change.
			f.Metrics.turnWaited(textClass(outbox.Message{Kind: w.Kind, Category: w.Category}), now.Sub(w.Since))
			handed++
			if err := f.hand(ctx, t.Row, now); err != nil {
				f.rejoin(ctx, sender, p, []lined{t})
				return err
			}
		}
	}
	return nil
}

// quiet reports whether w's salon is outside the sending window at now, and
// when the window opens. A zone that does not load is left to the send
// path, which holds the text rather than guess.
func (f *Feeder) quiet(w outbox.Waiting, now time.Time) (time.Time, bool) {
	if f.Quiet == nil {
		return time.Time{}, false
	}
	loc, err := time.LoadLocation(w.Zone)
	if err != nil || f.Quiet.Allowed(now, loc) {
		return time.Time{}, false
	}
	return f.Quiet.NextOpening(now, loc), true
}

// holdQuiet makes row wait for the opening of its salon's window: its
// wait recorded, and its send scheduled then in sms_bulk under the ID the
// send path would give it.
func (f *Feeder) holdQuiet(ctx context.Context, row int64, opening time.Time) error {
	if err := f.Store.MarkWaiting(ctx, []int64{row}, outbox.WaitQuietHours, opening); err != nil {
		return err
	}
	f.Metrics.waited(outbox.WaitQuietHours)
	task, err := NewSendTask(row)
	if err != nil {
		return err
	}
	_, err = f.Enqueue.EnqueueContext(ctx, task, asynq.Queue(queues.SMSBulk), asynq.TaskID(waitTaskIDFor(row, opening)), asynq.ProcessAt(opening))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("schedule sms %d for %s: %w", row, opening.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// hand enqueues row's send at its turn, taken at now.
func (f *Feeder) hand(ctx context.Context, row int64, now time.Time) error {
	task, err := NewSendTask(row)
	if err != nil {
		return err
	}
	_, err = f.Enqueue.EnqueueContext(ctx, task, asynq.Queue(queues.SMSBulk), asynq.TaskID(turnTaskID(row, now)))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("hand sms %d its turn: %w", row, err)
	}
	f.Metrics.handed()
	return nil
}

// rejoin puts texts taken from a sender's lines back in them; a failure
// leaves them to the sweep (their rows are pending).
func (f *Feeder) rejoin(ctx context.Context, sender string, p time.Duration, taken []lined) {
	ctx, cancel := detached(ctx) // also when the pass ends at shutdown
	defer cancel()
	for _, t := range taken {
		turn := Turn{Sender: sender, Rate: float64(time.Second) / float64(p)}
		if _, err := f.Limiter.Join(ctx, turn, t.Salon, t.Row); err != nil {
			f.Logger.WarnContext(ctx, "sms text left to the sweep", "message_id", t.Row, "error", err)
		}
	}
}

// feedAhead is how far ahead of its time a Feeder may take a turn of a
// sender: a pass late by up to this much (a busy machine) loses none of the
// sender's rate, and a confirmation waits at most this much longer than
// one turn of its sender.
const feedAhead = 250 * time.Millisecond

// feedBurst is how many turns of a sender with period p one pass may take
// at most: those of feedAhead, and the one due.
func feedBurst(p time.Duration) int {
	return int(math.Ceil(float64(feedAhead)/float64(p))) + 1
}

// turnTaskID is the ID of the sms:send task that holds a turn of its
// sender taken at at.
func turnTaskID(row int64, at time.Time) string {
	return SendTaskID(row) + ":turn:" + strconv.FormatInt(at.UnixMilli(), 10)
}

// heldTurn reports whether the running task holds a turn of its sender
// still fresh (by the wall clock, as the turns are): it was handed out by a
// Feeder, and this is its first attempt (a retry asks the limiter again).
func heldTurn(ctx context.Context) bool {
	id, ok := taskinfo.ID(ctx)
	if !ok {
		return false
	}
	if n, ok := taskinfo.RetryCount(ctx); !ok || n > 0 {
		return false
	}
	_, ms, found := strings.Cut(id, ":turn:")
	if !found {
		return false
	}
	at, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return false
	}
	age := time.Since(time.UnixMilli(at))
	return age >= -turnFresh && age < turnFresh
}
