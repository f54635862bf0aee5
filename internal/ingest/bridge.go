package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/internal/service"
	"github.com/salonworks/jobs/internal/tracing"
	"go.opentelemetry.io/otel/trace"
)

// batchTimeout bounds the processing of one batch. It stays well under
// DefaultClaimIdle so a live bridge's entries are not claimed from it.
const batchTimeout = 30 * time.Second

// Bridge moves entries from the jobs:ingest stream into asynq queues. It is
// three parts under one Start and Shutdown: the reader, which blocks on
// XREADGROUP and so runs on its own, and two periodic passes, claiming idle
// entries (with pruning idle consumers) and trimming the stream.
type Bridge struct {
	cfg     Config
	rdb     redis.UniversalClient
	client  *asynq.Client
	closeFn func() error
	metrics *instruments
	tracer  trace.Tracer
	// tracingOff skips the per-entry span work when nothing records it.
	tracingOff bool

	claimer, trimmer *service.Loop

	cancel   context.CancelFunc // stops the reader
	done     chan struct{}      // closed when the reader has returned
	once     sync.Once
	inflight chan struct{} // one token per batch being processed
	batches  sync.WaitGroup
}

var _ service.Service = (*Bridge)(nil)

// New checks cfg and registers the metrics; nothing runs until Start.
func New(cfg Config) (*Bridge, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &Bridge{cfg: cfg, rdb: cfg.Redis, inflight: make(chan struct{}, cfg.InFlightBatches), tracer: tracing.Tracer(cfg.TracerProvider), tracingOff: tracing.IsOff(cfg.TracerProvider)}
	b.claimer = &service.Loop{
		Name:     "ingest claim",
		Interval: cfg.ClaimInterval,
		// At once: a predecessor may have died holding entries.
		Immediate: true,
		// A pass over a large backlog of idle entries takes what it takes;
		// a cut one leaves the rest to the next pass.
		Timeout: max(cfg.ClaimIdle, batchTimeout),
		Run:     b.claimPass,
	}
	b.trimmer = &service.Loop{Name: "ingest trim", Interval: cfg.TrimInterval, Timeout: batchTimeout, Run: b.trimPass}
	b.metrics, err = newInstruments(b)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Start creates the consumer group when it is missing and starts reading.
// A bridge starts once.
func (b *Bridge) Start() error {
	if b.done != nil {
		return errors.New("ingest: bridge already started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.ensureGroup(ctx); err != nil {
		return err
	}
	enq, closeFn, err := enqueueClient(b.rdb)
	if err != nil {
		return err
	}
	b.client = asynq.NewClientFromRedisClient(enq)
	b.closeFn = closeFn
	runCtx, stop := context.WithCancel(context.Background())
	b.cancel = stop
	b.done = make(chan struct{})
	go b.run(runCtx)
	for _, l := range []*service.Loop{b.claimer, b.trimmer} {
		if err := l.Start(); err != nil {
			b.Shutdown()
			return fmt.Errorf("ingest: %w", err)
		}
	}
	b.cfg.Logger.Info("ingest bridge started", "stream", Stream, "group", b.cfg.Group, "consumer", b.cfg.Consumer)
	return nil
}

// Shutdown stops reading, lets the batch in hand finish (at most
// batchTimeout; what it leaves pending is claimed by another bridge after
// ClaimIdle) and releases the bridge's connections. The consumer stays in
// the group: its pending list must survive it.
func (b *Bridge) Shutdown() {
	b.once.Do(func() {
		// The passes first: a claim dispatches batches the reader waits for
		// when it returns.
		b.claimer.Shutdown()
		b.trimmer.Shutdown()
		if b.cancel != nil {
			b.cancel()
			<-b.done
		}
		if b.closeFn != nil {
			if err := b.closeFn(); err != nil {
				b.cfg.Logger.Warn("ingest: close enqueue client", "err", err.Error())
			}
		}
		b.metrics.unregister()
		b.cfg.Logger.Info("ingest bridge stopped", "consumer", b.cfg.Consumer)
	})
}

// ensureGroup creates the group, and the stream itself, when missing. The
// group starts after what the other groups have all handled (startID): from
// ID 0, the stream's whole backlog, only when no group ever handled it.
func (b *Bridge) ensureGroup(ctx context.Context) error {
	gs, err := b.rdb.XInfoGroups(ctx, Stream).Result()
	if err == nil {
		for _, g := range gs {
			if g.Name == b.cfg.Group {
				return nil
			}
		}
	} else if !isNoSuchKey(err) {
		return fmt.Errorf("read consumer groups of %s: %w", Stream, err)
	}
	start, err := b.startID(ctx)
	if err != nil {
		return fmt.Errorf("create consumer group %s on %s: %w", b.cfg.Group, Stream, err)
	}
	if start != "0" {
		b.cfg.Logger.Info("ingest: consumer group created after what the other groups handled", "group", b.cfg.Group, "start_after", start)
	}
	err = b.rdb.XGroupCreateMkStream(ctx, Stream, b.cfg.Group, start).Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s: %w", b.cfg.Group, Stream, err)
	}
	return nil
}

// run is the reader's loop until ctx ends: read new entries, batch after
// batch, and back off while Redis fails.
func (b *Bridge) run(ctx context.Context) {
	defer close(b.done)
	defer b.batches.Wait()
	pause := time.Duration(0)
	for ctx.Err() == nil {
		err := b.readNew(ctx)
		if err == nil || ctx.Err() != nil {
			pause = 0
			continue
		}
		// Redis is down or refusing: back off, up to 10 s, and go on.
		pause = min(max(2*pause, 100*time.Millisecond), 10*time.Second)
		b.cfg.Logger.Error("ingest: read entries", "err", err.Error(), "retry_in", pause.String())
		if isNoGroup(err) {
			if gerr := b.ensureGroup(ctx); gerr != nil {
				b.cfg.Logger.Error("ingest: recreate consumer group", "err", gerr.Error())
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// claimPass claims idle entries and, when that went through, removes idle
// consumers. A failed pass is tried again ClaimInterval later; an entry
// stays pending meanwhile, so nothing is lost.
func (b *Bridge) claimPass(ctx context.Context) error {
	if err := b.claim(ctx); err != nil {
		if ctx.Err() == nil {
			b.cfg.Logger.Error("ingest: claim idle entries", "err", err.Error(), "retry_in", b.cfg.ClaimInterval.String())
		}
		return nil
	}
	if err := b.pruneConsumers(ctx); err != nil && ctx.Err() == nil {
		b.cfg.Logger.Warn("ingest: prune consumers", "err", err.Error())
	}
	return nil
}

// trimPass applies the trimming rule once, and records what the groups
// handled (HandledKey) for a group created later.
func (b *Bridge) trimPass(ctx context.Context) error {
	if _, err := b.Trim(ctx); err != nil && ctx.Err() == nil {
		b.cfg.Logger.Warn("ingest: trim stream", "err", err.Error())
	}
	if err := b.recordHandled(ctx); err != nil && ctx.Err() == nil {
		b.cfg.Logger.Warn("ingest: record what the groups handled", "err", err.Error())
	}
	return nil
}

// readNew reads one batch of never-delivered entries and processes it.
func (b *Bridge) readNew(ctx context.Context) error {
	res, err := b.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group:    b.cfg.Group,
		Consumer: b.cfg.Consumer,
		Streams:  []string{Stream, ">"},
		Count:    int64(b.cfg.Batch),
		Block:    b.cfg.Block,
	}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil
	case err != nil:
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("xreadgroup: %w", err)
	}
	for _, s := range res {
		b.dispatch(ctx, s.Messages)
	}
	return nil
}

// dispatch processes msgs in the background once fewer than
// InFlightBatches are in hand, so the next batch is read and decoded while
// this one waits on Redis. Batches are independent: each entry's task ID
// and key claim make the outcome the same in any order.
func (b *Bridge) dispatch(ctx context.Context, msgs []redis.XMessage) {
	if len(msgs) == 0 {
		return
	}
	b.inflight <- struct{}{}
	b.batches.Go(func() {
		defer func() { <-b.inflight }()
		b.process(ctx, msgs)
	})
}

// claim takes over, batch by batch, every entry idle for ClaimIdle in any
// consumer of the group (this one included: an entry left pending by a
// Redis error comes back this way) and processes it.
func (b *Bridge) claim(ctx context.Context) error {
	start := "0-0"
	for ctx.Err() == nil {
		msgs, next, deleted, err := b.rdb.XAutoClaimWithDeleted(ctx, &redis.XAutoClaimArgs{
			Stream:   Stream,
			Group:    b.cfg.Group,
			Consumer: b.cfg.Consumer,
			MinIdle:  b.cfg.ClaimIdle,
			Start:    start,
			Count:    int64(b.cfg.Batch),
		}).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("xautoclaim: %w", err)
		}
		if len(deleted) > 0 {
			// Only an XDEL, or a producer trimming on XADD (MAXLEN), does
			// this: the bridge's own trim never passes a pending entry.
			b.cfg.Logger.Error("ingest: pending entries were deleted from the stream before they were processed",
				"count", len(deleted), "first_id", deleted[0])
		}
		if len(msgs) > 0 {
			b.cfg.Logger.Info("ingest: claimed idle entries", "count", len(msgs), "idle_over", b.cfg.ClaimIdle.String())
			b.dispatch(ctx, msgs)
		}
		if next == "0-0" || next == "" {
			return nil
		}
		start = next
	}
	return nil
}

func isNoGroup(err error) bool { return err != nil && strings.Contains(err.Error(), "NOGROUP") }
