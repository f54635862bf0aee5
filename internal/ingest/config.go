package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/salonworks/jobs/internal/clock"
	"go.opentelemetry.io/otel/trace"
)

// Stream names: the wire contract with producers and operators.
const (
	// Stream is where producers XADD entries.
	Stream = "jobs:ingest"
	// DeadStream receives every entry that cannot become a task, with its
	// original fields plus error and failed_at.
	DeadStream = "jobs:ingest:dead"
)

// Defaults of Config.
const (
	DefaultBatch        = 500
	DefaultBlock        = time.Second
	DefaultClaimIdle    = time.Minute
	DefaultMaxLen       = 1_000_000
	DefaultDeadMaxLen   = 100_000
	DefaultTrimInterval = 5 * time.Second
	DefaultConcurrency  = 64
	DefaultInFlight     = 3 // batches in flight at once
	// DefaultIdempotencyTTL is a week: a producer retries a failed XADD
	// for seconds or minutes, but an API outage, a replayed outbox or a
	// redeployed batch job can resend a key days later. A week covers those
	// while bounding the memory of the key map: about 200 bytes a key, so
	// 200 MB for a million keyed entries a week.
	DefaultIdempotencyTTL = 7 * 24 * time.Hour
)

// Config is what a Bridge needs. Zero fields take the defaults above.
type Config struct {
	// Redis holds the stream and the queues.
	Redis redis.UniversalClient
	// Group is the consumer group (REDIS_STREAM_CONSUMER_GROUP). It is
	// created when missing, with MKSTREAM, from ID 0: entries added before
	// the first worker ever started are processed, not skipped.
	Group string
	// Consumer names this bridge within the group; default hostname:pid.
	Consumer string
	// Batch is the most entries read (XREADGROUP COUNT) or claimed at once.
	Batch int
	// Block is how long one read waits for new entries.
	Block time.Duration
	// ClaimIdle is how long an entry stays delivered but unacknowledged
	// before any bridge claims it (XAUTOCLAIM): the consumer that read it
	// died, or enqueueing it failed on a Redis error. It must exceed the
	// time one batch takes.
	ClaimIdle time.Duration
	// ClaimInterval is how often the bridge looks for idle entries;
	// default ClaimIdle/2.
	ClaimInterval time.Duration
	// ConsumerIdle is how long a consumer with nothing pending may stay
	// silent before it is removed from the group; default
	// DefaultConsumerIdle.
	ConsumerIdle time.Duration
	// MaxLen bounds the stream's length, approximately; see trim.go for
	// the rule that keeps every unacknowledged entry.
	MaxLen int64
	// DeadMaxLen bounds the dead-letter stream, approximately (XADD
	// MAXLEN ~): the oldest dead entries go first.
	DeadMaxLen int64
	// TrimInterval is how often the stream is trimmed.
	TrimInterval time.Duration
	// IdempotencyTTL is how long an idempotency key maps to its task, so a
	// resent key is a duplicate even after its task completed and expired.
	IdempotencyTTL time.Duration
	// Concurrency bounds the enqueues of one batch in flight at once.
	Concurrency int
	// InFlightBatches bounds the batches processed at once: while one
	// waits on Redis the next is read and validated.
	InFlightBatches int
	// Logger receives dead entries and Redis errors.
	Logger *slog.Logger
	// Registry receives the bridge's metrics; nil registers none.
	Registry prometheus.Registerer
	// TracerProvider receives a span per enqueued entry, in the trace its
	// traceparent names; nil traces nothing.
	TracerProvider trace.TracerProvider
	// Clock stamps failed_at; nil is the wall clock.
	Clock clock.Clock
}

// withDefaults checks cfg and fills in the defaults.
func (cfg Config) withDefaults() (Config, error) {
	var bad []error
	if cfg.Redis == nil {
		bad = append(bad, errors.New("a Redis client is required"))
	}
	if cfg.Group == "" {
		bad = append(bad, errors.New("a consumer group name is required"))
	}
	if cfg.Logger == nil {
		bad = append(bad, errors.New("a logger is required"))
	}
	if cfg.Batch < 0 || cfg.MaxLen < 0 || cfg.DeadMaxLen < 0 || cfg.Concurrency < 0 || cfg.InFlightBatches < 0 {
		bad = append(bad, errors.New("sizes (Batch, MaxLen, DeadMaxLen, Concurrency, InFlightBatches) must not be negative"))
	}
	if len(bad) > 0 {
		return cfg, fmt.Errorf("ingest: %w", errors.Join(bad...))
	}
	if cfg.Consumer == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "unknown"
		}
		cfg.Consumer = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	setDefault(&cfg.Batch, DefaultBatch)
	setDefault(&cfg.Block, DefaultBlock)
	setDefault(&cfg.ClaimIdle, DefaultClaimIdle)
	setDefault(&cfg.ClaimInterval, cfg.ClaimIdle/2)
	setDefault(&cfg.ConsumerIdle, DefaultConsumerIdle)
	setDefault(&cfg.MaxLen, DefaultMaxLen)
	setDefault(&cfg.DeadMaxLen, DefaultDeadMaxLen)
	setDefault(&cfg.TrimInterval, DefaultTrimInterval)
	setDefault(&cfg.IdempotencyTTL, DefaultIdempotencyTTL)
	setDefault(&cfg.Concurrency, DefaultConcurrency)
	setDefault(&cfg.InFlightBatches, DefaultInFlight)
	return cfg, nil
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
