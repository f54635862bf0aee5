// Package ingest is the bridge from the Redis Stream jobs:ingest, where
// producers that are not Go (the NestJS API, with ioredis) append jobs, to
// the asynq queues.
//
// A producer runs
//
//	XADD jobs:ingest * kind email:send payload {"template":"welcome",...} idempotency_key welcome:42
//
// with the fields kind and payload (JSON; may be left out for kinds without
// fields), and optionally idempotency_key, process_at (RFC 3339), queue
// (a known queue whose whole policy then applies instead of the kind's),
// and traceparent and tracestate (the W3C trace context the task carries
// in its headers, so its attempts join the producer's trace).
//
// The Bridge reads the stream through the consumer group Config.Group
// (REDIS_STREAM_CONSUMER_GROUP), created when missing with MKSTREAM. A new
// group starts after what the other groups have all handled, or, when no
// other group is left, after HandledKey (recorded at every trim), so a
// renamed or recreated group never turns the retained, acknowledged
// backlog into tasks again; only a stream no group ever read is read from
// ID 0, so entries added before any worker ever ran are processed. A group
// left behind (another name, consumers silent for ConsumerIdle, entries it
// never acknowledged) pins trimming: it is reported abandoned by Groups, in
// the metrics (jobs_ingest_group_abandoned) and in /health/ready. Every entry
// is validated by Decode with the same code as the Go constructors
// (tasks.NewTask), then:
//
//   - valid: enqueued with the kind's options and acknowledged. The task ID
//     is TaskIDForKey(idempotency_key) when there is a key, else
//     TaskIDForEntry(entry ID), so a redelivered entry never makes a second
//     task. A key is also claimed in Redis (jobs:ingest:key:<hash>, value
//     "<task ID> <entry ID>") for Config.IdempotencyTTL, default a week, so
//     a key resent after its task completed and expired is still a
//     duplicate: counted, acknowledged, not enqueued. An invalid entry does
//     not take its key, so a corrected resend with the same key goes
//     through.
//   - invalid: copied to jobs:ingest:dead with its original fields plus
//     error (every reason, on one line) and failed_at (RFC 3339), then
//     acknowledged. Nothing is dropped silently.
//   - a Redis error while enqueueing: left pending, not acknowledged. Every
//     bridge claims (XAUTOCLAIM) entries idle for Config.ClaimIdle, whoever
//     holds them, so the entry is retried then, and the entries of a bridge
//     that died are taken over the same way.
//
// Batches are pipelined: one XREADGROUP (or XAUTOCLAIM), one pipeline for
// the idempotency keys, concurrent enqueues (autopipelined, see client.go),
// one pipeline for dead entries, one XACK; a few batches are in flight at
// once. Entries are therefore not enqueued in stream order, which asynq
// would not keep anyway. The stream is trimmed by the rule in trim.go,
// which never drops an entry some group has not acknowledged; producers
// must not trim it themselves (no MAXLEN on XADD). Consumers of stopped
// workers that hold nothing are removed from the group after
// Config.ConsumerIdle.
//
// It needs Redis 7.0 or later (SET NX GET, XAUTOCLAIM's deleted list, the
// group lag in XINFO GROUPS).
package ingest
