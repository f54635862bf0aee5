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
)

// Queue is one queue's policy.
type Queue struct {
	// Name is the asynq queue name.
	Name string
	// Concurrency is the number of tasks one worker process runs at once
	// from this queue. Each queue has its own asynq server, so it is exact.
	Concurrency int
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
	// Retention keeps a completed task visible (dashboard, idempotency by
	// task ID) for this long after it succeeds.
	Retention time.Duration
}

// catalogue holds the five queues (docs/design.md, "Queues and retries"),
// in a stable order.
var catalogue = []Queue{
	{Name: Emails, Concurrency: 10, MaxRetry: 3, Timeout: 30 * time.Second, BackoffBase: 10 * time.Second, BackoffCap: 10 * time.Minute, Retention: 24 * time.Hour},
	{Name: Uploads, Concurrency: 5, MaxRetry: 2, Timeout: 5 * time.Minute, BackoffBase: 30 * time.Second, BackoffCap: 15 * time.Minute, Retention: 24 * time.Hour},
	{Name: Sync, Concurrency: 3, MaxRetry: 5, Timeout: 10 * time.Minute, BackoffBase: 30 * time.Second, BackoffCap: 30 * time.Minute, Retention: 24 * time.Hour},
	{Name: Reports, Concurrency: 2, MaxRetry: 1, Timeout: 15 * time.Minute, BackoffBase: time.Minute, BackoffCap: 30 * time.Minute, Retention: 24 * time.Hour},
	{Name: SMS, Concurrency: 10, MaxRetry: 5, Timeout: 30 * time.Second, BackoffBase: 10 * time.Second, BackoffCap: 10 * time.Minute, Retention: 24 * time.Hour},
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
// into queues. An empty list selects every queue. Unknown or repeated names
// are an error naming them.
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
		case seen[name]:
			bad = append(bad, fmt.Sprintf("queue %q listed twice", name))
		default:
			seen[name] = true
			out = append(out, q)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s (known queues: %s)", strings.Join(bad, ", "), strings.Join(Names(), ", "))
	}
	return out, nil
}

// Options returns the asynq options every task of this queue is enqueued
// with: the queue, its retry budget, its timeout and its retention.
func (q Queue) Options() []asynq.Option {
	return []asynq.Option{
		asynq.Queue(q.Name),
		asynq.MaxRetry(q.MaxRetry),
		asynq.Timeout(q.Timeout),
		asynq.Retention(q.Retention),
	}
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
