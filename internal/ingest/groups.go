package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// HandledKey holds the ID up to which every consumer group had handled the
// stream when last seen (the oldest pending entry's predecessor, or the
// last delivered one), written at every trim. A group created when no
// other group is left to ask (a lost group recreated) starts there instead
// of at the beginning of the retained stream.
const HandledKey = "jobs:ingest:handled"

// startID is where a new group for this bridge starts reading: after every
// entry that the other groups have all handled, so that a renamed group
// (REDIS_STREAM_CONSUMER_GROUP changed) or a recreated one does not turn
// the retained, long acknowledged backlog into tasks again. What another
// group has delivered but not acknowledged is read again (task IDs and
// idempotency keys make that harmless). A stream that does not exist yet,
// or one no group ever handled, is read from its start.
func (b *Bridge) startID(ctx context.Context) (string, error) {
	handled, others, err := b.handledUpTo(ctx, map[string]bool{b.cfg.Group: true})
	if err != nil {
		if isNoSuchKey(err) {
			return "0", nil
		}
		return "", err
	}
	if others > 0 {
		return handled, nil
	}
	mark, err := b.rdb.Get(ctx, HandledKey).Result()
	if errors.Is(err, redis.Nil) {
		return "0", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", HandledKey, err)
	}
	// A mark beyond the stream's last ID belongs to a stream since deleted
	// and made anew: everything in this one is new.
	info, err := b.rdb.XInfoStream(ctx, Stream).Result()
	if err != nil {
		return "", fmt.Errorf("read %s: %w", Stream, err)
	}
	if !idLess(info.LastGeneratedID, mark) {
		return mark, nil
	}
	return "0", nil
}

// handledUpTo returns the ID up to which every group but those in exclude
// has handled the stream, and how many such groups there are.
func (b *Bridge) handledUpTo(ctx context.Context, exclude map[string]bool) (id string, groups int, err error) {
	gs, err := b.rdb.XInfoGroups(ctx, Stream).Result()
	if err != nil {
		return "", 0, err
	}
	for _, g := range gs {
		if exclude[g.Name] {
			continue
		}
		upTo := g.LastDeliveredID
		if g.Pending > 0 {
			p, err := b.rdb.XPending(ctx, Stream, g.Name).Result()
			if err != nil {
				return "", 0, fmt.Errorf("read pending entries of group %s: %w", g.Name, err)
			}
			upTo = idBefore(p.Lower)
		}
		if groups == 0 || idLess(upTo, id) {
			id = upTo
		}
		groups++
	}
	return id, groups, nil
}

// recordHandled writes HandledKey from the positions of the groups still
// in use: an abandoned group's backlog was handled by the live group.
func (b *Bridge) recordHandled(ctx context.Context) error {
	abandoned, err := b.Abandoned(ctx)
	if err != nil {
		return err
	}
	exclude := make(map[string]bool, len(abandoned))
	for _, name := range abandoned {
		exclude[name] = true
	}
	id, groups, err := b.handledUpTo(ctx, exclude)
	if err != nil || groups == 0 {
		return err
	}
	return b.rdb.Set(ctx, HandledKey, id, 0).Err()
}

// GroupState is one consumer group's position in the stream.
type GroupState struct {
	// Name is the group's name.
	Name string
	// Lag and Pending are as in State.
	Lag, Pending int64
	// Idle is how long since any of its consumers last read (the longest
	// when it has none).
	Idle time.Duration
	// Abandoned: not this bridge's group, no consumer read for
	// ConsumerIdle, and it still holds entries back from trimming.
	Abandoned bool
}

// Groups reports every consumer group on the stream. A group other than
// the configured one whose consumers are all silent for ConsumerIdle (or
// that has none) while it has undelivered or pending entries is
// abandoned: most likely the group of a former REDIS_STREAM_CONSUMER_GROUP.
// The trimming rule keeps every entry it has not acknowledged, so the
// stream grows until it is destroyed (XGROUP DESTROY jobs:ingest <name>).
func (b *Bridge) Groups(ctx context.Context) ([]GroupState, error) {
	gs, err := b.rdb.XInfoGroups(ctx, Stream).Result()
	if err != nil {
		return nil, fmt.Errorf("read consumer groups of %s: %w", Stream, err)
	}
	out := make([]GroupState, 0, len(gs))
	for _, g := range gs {
		st := GroupState{Name: g.Name, Lag: max(g.Lag, 0), Pending: g.Pending, Idle: b.cfg.ConsumerIdle}
		cs, err := b.rdb.XInfoConsumers(ctx, Stream, g.Name).Result()
		if err != nil {
			return nil, fmt.Errorf("read consumers of group %s: %w", g.Name, err)
		}
		for i, c := range cs {
			// Idle is since the consumer's last attempt to read (Redis 7.2:
			// inactive is since its last successful one; either will do).
			if i == 0 || c.Idle < st.Idle {
				st.Idle = c.Idle
			}
		}
		st.Abandoned = g.Name != b.cfg.Group && st.Idle >= b.cfg.ConsumerIdle && (g.Lag != 0 || g.Pending > 0)
		out = append(out, st)
	}
	return out, nil
}

// Abandoned returns the names of the abandoned groups (see Groups), for
// /health/ready and the metrics.
func (b *Bridge) Abandoned(ctx context.Context) ([]string, error) {
	gs, err := b.Groups(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, g := range gs {
		if g.Abandoned {
			names = append(names, g.Name)
		}
	}
	return names, nil
}

func isNoSuchKey(err error) bool { return err != nil && strings.Contains(err.Error(), "no such key") }

// parseID splits a stream ID "ms-seq"; a malformed one reads as 0-0.
func parseID(id string) (ms, seq uint64) {
	a, b, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(a, 10, 64)
	seq, _ = strconv.ParseUint(b, 10, 64)
	return ms, seq
}

// idLess reports whether stream ID a comes before b.
func idLess(a, b string) bool {
	am, as := parseID(a)
	bm, bs := parseID(b)
	return am < bm || am == bm && as < bs
}

// idBefore returns the ID just before id, "0-0" at the very start.
func idBefore(id string) string {
	ms, seq := parseID(id)
	switch {
	case seq > 0:
		return fmt.Sprintf("%d-%d", ms, seq-1)
	case ms > 0:
		return fmt.Sprintf("%d-%d", ms-1, uint64(1<<64-1))
	}
	return "0-0"
}
