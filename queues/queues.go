// Package queues is the one catalogue of the daemon's queues: their names,
// per-worker concurrency, retry budget, timeout and backoff. Producers use it
// through the constructors in tasks/; the worker builds one asynq server per
// queue from it.
package queues

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
)

// Queue names. They are part of the wire contract: never rename one that is
// deployed.
const (
	Emails  = "emails"
	Uploads = "uploads"
	Sync    = "sync"
	Reports = "reports"
	SMS     = "sms"
	// SMSBulk is internal: the sms:send tasks of review and marketing
	// texts, which the daemon itself enqueues when their sender's turn
	// comes (producers keep using SMS). Its own worker slots mean a
	// campaign's texts never hold the slots of the confirmations and the
	// dispatchers. Every worker that serves SMS serves it too.
	SMSBulk = "sms_bulk"
)

// Queue is one queue's policy.
type Queue struct {
	// Name is the asynq queue name.
	Name string
	// Concurrency is the number of tasks one worker process runs at once
	// from this queue. It is exact: the queue's asynq servers and batch
	// fetcher share it out (see LoopConcurrency and BatchSlots).
	Concurrency int
	// FetchLoops, when set, serves the queue with that many asynq servers
	// sharing its slots and no batch fetcher (see Loops and BatchSlots); 0
	// applies the rule.
	FetchLoops int
	// MaxRetry is how many times a failed task is retried before it is
	// archived. Never 0: a task orphaned by a killed worker spends a retry
	// when asynq's recoverer reruns it.
	MaxRetry int
	// Timeout bounds one attempt.
	Timeout time.Duration
	// BackoffBase is the upper bound of the first retry's delay; the bound
	// doubles with every retry up to BackoffCap.
	BackoffBase time.Duration
	// BackoffCap caps the bound of any retry's delay.
	BackoffCap time.Duration
	// Retention keeps a completed task of the queue's kinds in Redis
	// (shown by the dashboard, and refusing a second task with its ID) for
	// this long after it succeeds; KindRetention overrides it per kind.
	// Every retained task costs Redis memory (about 600 bytes for an
	// sms:send, see docs/benchmarks.md), so a high-volume kind keeps its
	// tasks only as long as something relies on them.
	Retention time.Duration
	// KindRetention is the Retention of the kinds named here, instead of
	// the queue's.
	KindRetention map[string]time.Duration
	// Of names the producers' queue an internal queue belongs to: it is
	// served wherever that one is, and no producer enqueues to it.
	Of string
	// PollInterval is how long the queue's first fetch loop (its batch
	// fetcher, when it has one) waits, when the queue is empty, before
	// looking again (it sleeps half to one and a half times it); 0 is the
	// worker's (worker.DefaultPollInterval).
	PollInterval time.Duration
	// Housekeeping is how often the queue's first loop moves its due
	// scheduled and retry tasks to pending and cleans expired completed
	// ones; 0 is every second (forwarding) and asynq's default (cleaning).
	Housekeeping time.Duration
}

// catalogue holds the five producers' queues (docs/design.md, "Queues and
// retries") and the internal sms_bulk, in a stable order.
//
// Retention, kind by kind. No send, charge or call depends on a completed
// task still being in Redis: the SMS and email outboxes (one row per
// message, one per email idempotency key) are what make a repeat send
// impossible and what operators read, and the ingest bridge keeps its
// idempotency keys in keys of its own (a week by default). What a retained
// task still serves is refusing a second task with the same ID during the
// short windows in which a producer may repeat itself, and showing
// operators recent work on the dashboard:
//
//   - email:send, 1 hour. The report generator enqueues its emails under
//     the ID "email:<key>", and its retry (one, within about 45 minutes:
//     backoff at most 30, attempt at most 15) finds that task; past it
//     the outbox row of the key refuses the second email anyway. The
//     ingest bridge names a task without an idempotency key after its
//     stream entry, and redelivers an entry after ClaimIdle (a minute by
//     default): an hour covers that redelivery.
//   - sms:send, 1 hour. The dispatchers, the rate-limit and quiet-hours
//     rescheduling, and the reconciler's sweep name tasks after the
//     outbox row; a repeat within the hour is refused by ID, a later one
//     finds the row already claimed or sent and does nothing (the sweep
//     enqueues under the row's ID again once the old task is gone). This
//     is the high-volume kind: 1,000,000 texts a day retained for an hour
//     is about 42,000 tasks.
//   - sms:dispatch_confirmations, sms:dispatch_reviews,
//     sms:dispatch_campaigns, 24 hours: about 1,600 tasks a day, kept so
//     operators can see every run of the last day. The scheduler's own
//     record of a fired tick (72 hours) is what prevents a second run.
//   - upload:process, report:generate, 24 hours: one task per upload or
//     requested report, few a day, which support looks up by time.
//   - salon:reset_queue, sync:daily_stats, 24 hours: one a day each.
//   - sync:api_call, 1 hour: the API deduplicates a retried call by its
//     Idempotency-Key (the task ID), not by the retained task; the hour
//     covers the ingest redelivery above.
var catalogue = []Queue{
	// Emails retry after 10 s or more: their scheduled and retry tasks are
	// moved every two seconds.
	{Name: Emails, Concurrency: 10, MaxRetry: 3, Timeout: 30 * time.Second, BackoffBase: 10 * time.Second, BackoffCap: 10 * time.Minute, Retention: time.Hour,
		Housekeeping: 2 * time.Second},
	// Uploads, sync and reports retry after 30 s or more and their tasks
	// run for minutes: their scheduled and retry tasks are moved every
	// five seconds rather than every second (fewer Redis calls when idle).
	{Name: Uploads, Concurrency: 5, MaxRetry: 2, Timeout: 5 * time.Minute, BackoffBase: 30 * time.Second, BackoffCap: 15 * time.Minute, Retention: 24 * time.Hour,
		Housekeeping: 5 * time.Second},
	{Name: Sync, Concurrency: 3, MaxRetry: 5, Timeout: 10 * time.Minute, BackoffBase: 30 * time.Second, BackoffCap: 30 * time.Minute, Retention: 24 * time.Hour,
		KindRetention: map[string]time.Duration{"sync:api_call": time.Hour}, Housekeeping: 5 * time.Second},
	{Name: Reports, Concurrency: 2, MaxRetry: 1, Timeout: 15 * time.Minute, BackoffBase: time.Minute, BackoffCap: 30 * time.Minute, Retention: 24 * time.Hour,
		Housekeeping: 5 * time.Second},
	{Name: SMS, Concurrency: 10, MaxRetry: 5, Timeout: 30 * time.Second, BackoffBase: 10 * time.Second, BackoffCap: 10 * time.Minute, Retention: time.Hour,
		KindRetention: map[string]time.Duration{
			"sms:dispatch_confirmations": 24 * time.Hour,
			"sms:dispatch_reviews":       24 * time.Hour,
			"sms:dispatch_campaigns":     24 * time.Hour,
		}},
	// Only sms:send, enqueued by the daemon at a sender's turn; its tasks
	// are short (one request to Twilio) and paced by the senders' rates,
	// so ten slots serve hundreds of texts a second. Nothing in it is in a
	// hurry (a review or marketing text half a second later is as good),
	// so an idle worker looks at it twice a second and moves its scheduled
	// tasks (quiet-hours wake-ups) every ten seconds.
	{Name: SMSBulk, Of: SMS, Concurrency: 10, MaxRetry: 5, Timeout: 30 * time.Second, BackoffBase: 10 * time.Second, BackoffCap: 10 * time.Minute, Retention: time.Hour,
		PollInterval: 500 * time.Millisecond, Housekeeping: 10 * time.Second},
}

// All returns a copy of every queue, in catalogue order.
func All() []Queue { return slices.Clone(catalogue) }

// Names returns every queue name, in catalogue order.
func Names() []string {
	names := make([]string, len(catalogue))
	for i, q := range catalogue {
		names[i] = q.Name
	}
	return names
}

// ProducerNames returns the names of the queues producers enqueue to (every
// queue but the internal ones), in catalogue order.
func ProducerNames() []string {
	var names []string
	for _, q := range catalogue {
		if q.Of == "" {
			names = append(names, q.Name)
		}
	}
	return names
}

// Lookup returns the queue called name.
func Lookup(name string) (Queue, bool) {
	for _, q := range catalogue {
		if q.Name == name {
			return q, true
		}
	}
	return Queue{}, false
}

// MustLookup returns the queue called name and panics when there is none. It
// is for the constructors in tasks/, whose queue names are constants.
func MustLookup(name string) Queue {
	q, ok := Lookup(name)
	if !ok {
		panic(fmt.Sprintf("queues: unknown queue %q", name))
	}
	return q
}

// Select parses a comma-separated list such as "sms,emails" (WORKER_QUEUES)
// into queues. An empty list selects every queue. A producers' queue brings
// its internal queues along (sms brings sms_bulk). Unknown, internal or
// repeated names are an error naming them.
func Select(list string) ([]Queue, error) {
	if strings.TrimSpace(list) == "" {
		return All(), nil
	}
	var out []Queue
	var bad []string
	seen := map[string]bool{}
	for _, raw := range strings.Split(list, ",") {
		name := strings.TrimSpace(raw)
		q, ok := Lookup(name)
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("unknown queue %q", name))
		case q.Of != "":
			bad = append(bad, fmt.Sprintf("queue %q is internal: it is served with %q", name, q.Of))
		case seen[name]:
			bad = append(bad, fmt.Sprintf("queue %q listed twice", name))
		default:
			seen[name] = true
			out = append(out, q)
			for _, in := range catalogue {
				if in.Of == name {
					out = append(out, in)
				}
			}
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s (known queues: %s)", strings.Join(bad, ", "), strings.Join(ProducerNames(), ", "))
	}
	return out, nil
}

// Options returns the asynq options of the queue's policy: the queue, its
// retry budget, its timeout and its Retention. A task of a known kind is
// enqueued with OptionsFor instead.
func (q Queue) Options() []asynq.Option {
	return []asynq.Option{
		asynq.Queue(q.Name),
		asynq.MaxRetry(q.MaxRetry),
		asynq.Timeout(q.Timeout),
		asynq.Retention(q.Retention),
	}
}

// OptionsFor returns Options with the retention of kind (RetentionOf).
func (q Queue) OptionsFor(kind string) []asynq.Option {
	opts := q.Options()
	opts[len(opts)-1] = asynq.Retention(q.RetentionOf(kind))
	return opts
}

// RetentionOf returns how long a completed task of kind is kept: its
// KindRetention, or the queue's Retention.
func (q Queue) RetentionOf(kind string) time.Duration {
	if r, ok := q.KindRetention[kind]; ok {
		return r
	}
	return q.Retention
}

// BackoffBound is the upper bound of the delay before retry number n (n
// counts retries already spent, from 0): BackoffBase·2ⁿ, capped at
// BackoffCap.
func (q Queue) BackoffBound(n int) time.Duration {
	bound := q.BackoffBase
	for i := 0; i < n && bound < q.BackoffCap; i++ {
		bound *= 2
	}
	return min(bound, q.BackoffCap)
}

// Backoff returns the delay before retry number n: exponential with full
// jitter, a uniform draw from [0, BackoffBound(n)], never under one second
// so a retry storm cannot spin.
func (q Queue) Backoff(n int) time.Duration {
	bound := q.BackoffBound(n)
	if bound <= time.Second {
		return time.Second
	}
	return time.Second + rand.N(bound-time.Second)
}

// SingleLoopConcurrency is the widest queue the rule of Loops serves with
// one asynq server alone. asynq's fetch loop takes one task per Redis round
// trip, so it starts a few thousand tasks a second at most, whatever the
// concurrency it serves; ten slots of tasks that take milliseconds or more
// (every queue of the catalogue) never need that many.
const SingleLoopConcurrency = 10

// BatchServerSlots is how many slots of a wider queue its asynq server
// keeps under the rule; the worker's batch fetcher serves the rest
// (BatchSlots). The server is what moves the queue's due scheduled and
// retry tasks to pending, recovers the tasks of a worker that died, cleans
// expired completed tasks and shows the worker on the dashboard; its own
// slots take a task now and then.
const BatchServerSlots = 2

// Loops returns how many asynq servers the worker runs for the queue, each
// with its own fetch loop and share of the queue's slots: FetchLoops when it
// is set (at most Concurrency, so every server has a slot), otherwise one.
func (q Queue) Loops() int {
	if q.FetchLoops > 0 {
		return max(1, min(q.FetchLoops, q.Concurrency))
	}
	return 1
}

// BatchSlots returns how many of the queue's slots the worker's batch
// fetcher serves: it takes as many tasks per Redis round trip as it has
// free slots, and finishes the tasks done at the same moment in one more.
// Under the rule a queue of up to SingleLoopConcurrency slots, as every
// queue of the catalogue is, has none (one asynq server serves it all), and
// a wider one gives all but BatchServerSlots of its slots to the batch
// fetcher (50 slots: 48 and a server of 2). Setting FetchLoops turns the
// batch fetcher off: the queue is served by that many asynq servers alone.
func (q Queue) BatchSlots() int {
	if q.FetchLoops > 0 || q.Concurrency <= SingleLoopConcurrency {
		return 0
	}
	return q.Concurrency - BatchServerSlots
}

// LoopConcurrency shares the slots the batch fetcher does not serve
// (Concurrency - BatchSlots) over the Loops() asynq servers as evenly as
// possible, the larger shares first. With BatchSlots they add up to
// Concurrency.
func (q Queue) LoopConcurrency() []int {
	n := q.Loops()
	slots := q.Concurrency - q.BatchSlots()
	shares := make([]int, n)
	for i := range shares {
		shares[i] = slots / n
		if i < slots%n {
			shares[i]++
		}
	}
	return shares
}
