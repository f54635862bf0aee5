package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/internal/tracing"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks"
)

// Field names of a stream entry: the wire contract of jobs:ingest.
const (
	FieldKind           = "kind"
	FieldPayload        = "payload"
	FieldIdempotencyKey = "idempotency_key"
	FieldProcessAt      = "process_at"
	FieldQueue          = "queue"
	// FieldTraceParent and FieldTraceState carry the producer's W3C trace
	// context: the task's spans join the producer's trace. A malformed
	// value is ignored, never a reason to refuse the entry.
	FieldTraceParent = "traceparent"
	FieldTraceState  = "tracestate"
)

// Fields added to an entry copied to the dead-letter stream.
const (
	FieldError    = "error"
	FieldFailedAt = "failed_at"
)

// knownFields is every field a producer may send, in the order a dead entry
// lists them.
var knownFields = []string{FieldKind, FieldPayload, FieldIdempotencyKey, FieldProcessAt, FieldQueue, FieldTraceParent, FieldTraceState}

// MaxKeyRunes bounds an idempotency key, in characters (the same bound as
// the idempotency keys inside payloads).
const MaxKeyRunes = 200

// ErrRejected is matched (errors.Is) by every error Decode returns.
var ErrRejected = errors.New("entry rejected")

// RejectError lists every reason one entry cannot become a task. Problems
// may wrap tasks.ErrUnknownKind, tasks.ErrInvalidJSON, tasks.ErrTooLarge or
// tasks.ErrInvalid, matched through errors.Is.
type RejectError struct {
	Problems []error
}

// Error joins the problems with "; ", on one line for the dead stream.
func (e *RejectError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the problems, so errors.Is sees the tasks sentinels.
func (e *RejectError) Unwrap() []error { return e.Problems }

// Is reports whether target is ErrRejected.
func (e *RejectError) Is(target error) bool { return target == ErrRejected }

// Entry is one stream entry decoded and validated, ready to enqueue.
type Entry struct {
	// Kind is the task kind.
	Kind string
	// Queue is where the task goes: the kind's queue, or the entry's queue
	// field when present.
	Queue string
	// IdempotencyKey is the producer's key, or "".
	IdempotencyKey string
	// ProcessAt is when the task should run; zero means now.
	ProcessAt time.Time
	// Trace holds the entry's traceparent and tracestate when its
	// traceparent is well-formed, or nil. The task carries them in its
	// headers.
	Trace map[string]string
	// Task carries the validated payload with the queue's options (queue,
	// MaxRetry, Timeout, Retention) and ProcessAt. The bridge adds the task
	// ID, which depends on the stream entry ID when there is no key.
	Task *asynq.Task
}

// Decode turns the fields of one stream entry into an Entry, or explains in
// a *RejectError every reason it cannot. It validates the payload with
// tasks.NewTask, the same code as the Go constructors, and touches no
// network. A queue field routes the task to another known queue with that
// queue's whole policy (MaxRetry, Timeout, Retention), since each queue's
// server applies its own backoff and concurrency.
func Decode(fields map[string]any) (Entry, error) {
	var problems []error
	str := make(map[string]string, len(fields))
	for _, name := range sortedKeys(fields) {
		switch v := fields[name].(type) {
		case string:
			str[name] = v
		case []byte:
			str[name] = string(v)
		default:
			problems = append(problems, fmt.Errorf("field %s is not a string", quote(name)))
			continue
		}
		if !slices.Contains(knownFields, name) {
			problems = append(problems, fmt.Errorf("unknown field %s (known fields: %s)", quote(name), strings.Join(knownFields, ", ")))
		}
	}
	e := Entry{Kind: str[FieldKind]}
	if _, present := fields[FieldKind]; !present {
		problems = append(problems, errors.New("missing field kind"))
	} else if v, ok := str[FieldKind]; ok && v == "" {
		problems = append(problems, errors.New("field kind is empty"))
	}
	var opts []asynq.Option
	if v, ok := str[FieldIdempotencyKey]; ok {
		if p := keyProblem(v); p != "" {
			problems = append(problems, errors.New("idempotency_key "+p))
		}
		e.IdempotencyKey = v
	}
	if v, ok := str[FieldProcessAt]; ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			problems = append(problems, fmt.Errorf("process_at %s is not an RFC 3339 time such as 2025-06-01T08:00:00Z", quote(v)))
		} else {
			e.ProcessAt = t
			opts = append(opts, asynq.ProcessAt(t))
		}
	}
	if v, ok := str[FieldQueue]; ok {
		q, known := queues.Lookup(v)
		if !known || q.Of != "" {
			problems = append(problems, fmt.Errorf("unknown queue %s (known queues: %s)", quote(v), strings.Join(queues.ProducerNames(), ", ")))
		} else {
			e.Queue = q.Name
			opts = append(opts, q.Options()...)
		}
	}
	if v := str[FieldTraceParent]; v != "" && validTraceParent(v) {
		e.Trace = map[string]string{tracing.TraceParent: v}
		if ts := str[FieldTraceState]; ts != "" {
			e.Trace[tracing.TraceState] = ts
		}
		opts = append(opts, tasks.WithTraceParent(v, e.Trace[tracing.TraceState]))
	}
	if e.Kind != "" {
		if k, ok := tasks.Lookup(e.Kind); ok && e.Queue == "" {
			e.Queue = k.Queue
		}
		// tasks.NewTask reports an unknown kind too, naming the known ones.
		task, err := tasks.NewTask(e.Kind, []byte(str[FieldPayload]), opts...)
		if err != nil {
			problems = append(problems, err)
		}
		e.Task = task
	}
	if len(problems) > 0 {
		return Entry{}, &RejectError{Problems: problems}
	}
	return e, nil
}

// validTraceParent reports whether v is a W3C traceparent naming a valid
// span context.
func validTraceParent(v string) bool {
	ctx := tracing.Extract(context.Background(), map[string]string{tracing.TraceParent: v})
	return trace.SpanContextFromContext(ctx).IsValid()
}

// keyProblem returns what is wrong with a present idempotency key, or "".
func keyProblem(v string) string {
	switch {
	case v == "":
		return "is empty: leave the field out instead"
	case !utf8.ValidString(v):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(v) > MaxKeyRunes:
		return fmt.Sprintf("is %d characters long, at most %d allowed", utf8.RuneCountInString(v), MaxKeyRunes)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

// keyHash is the hex SHA-256 of an idempotency key, cut to 128 bits: short
// enough for a task ID, far too long to collide.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// TaskIDForKey returns the asynq task ID of the entry carrying idempotency
// key: "ingest:" and 32 hex digits of the key's SHA-256. A producer can look
// its task up with it.
func TaskIDForKey(key string) string { return "ingest:" + keyHash(key) }

// TaskIDForEntry returns the asynq task ID of an entry without idempotency
// key: "ingest:" and the stream entry ID, so a redelivered entry never makes
// a second task.
func TaskIDForEntry(entryID string) string { return "ingest:" + entryID }

// IdempotencyKeyPrefix starts the Redis key that maps an idempotency key to
// its task for Config.IdempotencyTTL.
const IdempotencyKeyPrefix = "jobs:ingest:key:"

func redisKeyFor(key string) string { return IdempotencyKeyPrefix + keyHash(key) }

// quote quotes v for a reason, shortened so a hostile value cannot flood
// the dead stream or a log line.
func quote(v string) string {
	const limit = 64
	if utf8.RuneCountInString(v) <= limit {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%q…", string([]rune(v)[:limit]))
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
