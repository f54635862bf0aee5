package ingest

import (
	"context"
	"fmt"
	"time"
)

// DefaultConsumerIdle is how long a consumer with nothing pending may stay
// silent before it is removed from the group.
const DefaultConsumerIdle = 24 * time.Hour

// pruneConsumers removes from the group every consumer that holds no
// pending entry and has not read for ConsumerIdle: the bridges of stopped
// tasks. Every ECS task is a new consumer (hostname:pid), so without this
// the group's consumer list would grow with every deploy. A consumer with
// pending entries is never removed: its entries are claimed first.
func (b *Bridge) pruneConsumers(ctx context.Context) error {
	consumers, err := b.rdb.XInfoConsumers(ctx, Stream, b.cfg.Group).Result()
	if err != nil {
		return fmt.Errorf("list consumers of %s: %w", b.cfg.Group, err)
	}
	for _, c := range consumers {
		if c.Pending > 0 || c.Idle < b.cfg.ConsumerIdle || c.Name == b.cfg.Consumer {
			continue
		}
		// XGROUP DELCONSUMER drops the consumer's pending entries, so it
		// is only sent when there were none a moment ago; an entry
		// delivered to it since can only come from its own XREADGROUP,
		// which would have reset its idle time.
		if err := b.rdb.XGroupDelConsumer(ctx, Stream, b.cfg.Group, c.Name).Err(); err != nil {
			return fmt.Errorf("remove consumer %s: %w", c.Name, err)
		}
		b.cfg.Logger.Info("ingest: removed idle consumer", "consumer", c.Name, "idle", c.Idle.Round(time.Second).String())
	}
	return nil
}
