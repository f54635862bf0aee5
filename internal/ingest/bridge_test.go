package ingest_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/queues"
)

func TestValidEntriesBecomeTasks(t *testing.T) {
	t.Parallel()
	r, insp := redisFor(t)
	b, reg := newBridge(t, r.Client, nil)
	startBridge(t, b)
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	type want struct {
		taskID, queue, payload string
		state                  asynq.TaskState
		processAt              time.Time
	}
	tests := []struct {
		name   string
		fields []string
		want   func(entryID string) want
	}{
		{name: "keyed email goes to emails",
			fields: []string{"kind", "email:send", "payload", welcome, "idempotency_key", "welcome:42"},
			want: func(string) want {
				return want{taskID: ingest.TaskIDForKey("welcome:42"), queue: queues.Emails, payload: welcome, state: asynq.TaskStatePending}
			}},
		{name: "unkeyed report takes the entry ID",
			fields: []string{"kind", "report:generate", "payload", `{"report_id": 3}`},
			want: func(id string) want {
				return want{taskID: ingest.TaskIDForEntry(id), queue: queues.Reports, payload: `{"report_id":3}`, state: asynq.TaskStatePending}
			}},
		{name: "process_at in the future is scheduled",
			fields: []string{"kind", "upload:process", "payload", `{"upload_id":9}`, "process_at", later.Format(time.RFC3339)},
			want: func(id string) want {
				return want{taskID: ingest.TaskIDForEntry(id), queue: queues.Uploads, payload: `{"upload_id":9}`, state: asynq.TaskStateScheduled, processAt: later}
			}},
		{name: "process_at in the past runs now",
			fields: []string{"kind", "sync:daily_stats", "process_at", "2020-01-01T00:00:00Z"},
			want: func(id string) want {
				return want{taskID: ingest.TaskIDForEntry(id), queue: queues.Sync, payload: `{}`, state: asynq.TaskStatePending}
			}},
		{name: "queue override takes that queue's policy",
			fields: []string{"kind", "sms:dispatch_reviews", "queue", "sync", "idempotency_key", "reviews:2026-03-04T05:06"},
			want: func(string) want {
				return want{taskID: ingest.TaskIDForKey("reviews:2026-03-04T05:06"), queue: queues.Sync, payload: `{}`, state: asynq.TaskStatePending}
			}},
	}
	ids := make([]string, len(tests))
	for i, tt := range tests {
		ids[i] = xadd(t, r.Client, tt.fields...)
	}
	waitSettled(t, b, 10*time.Second)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.want(ids[i])
			info, err := insp.GetTaskInfo(w.queue, w.taskID)
			if err != nil {
				t.Fatalf("task %s in %s: %v", w.taskID, w.queue, err)
			}
			q := queues.MustLookup(w.queue)
			if info.MaxRetry != q.MaxRetry || info.Timeout != q.Timeout || info.Retention != q.Retention {
				t.Errorf("options: MaxRetry %d, Timeout %s, Retention %s; want the %s queue's %d, %s, %s",
					info.MaxRetry, info.Timeout, info.Retention, q.Name, q.MaxRetry, q.Timeout, q.Retention)
			}
			if info.State != w.state {
				t.Errorf("state %s, want %s", info.State, w.state)
			}
			if !w.processAt.IsZero() && !info.NextProcessAt.Equal(w.processAt) {
				t.Errorf("next process at %s, want %s", info.NextProcessAt, w.processAt)
			}
			if got := string(info.Payload); got != w.payload {
				t.Errorf("payload %s, want %s", got, w.payload)
			}
		})
	}
	if got := counter(t, reg, ingest.OutcomeEnqueued); got != float64(len(tests)) {
		t.Errorf("enqueued counter = %v, want %d", got, len(tests))
	}
}

func TestInvalidEntriesGoToDeadStream(t *testing.T) {
	t.Parallel()
	r, insp := redisFor(t)
	b, reg := newBridge(t, r.Client, nil)
	startBridge(t, b)
	ctx := context.Background()
	for _, tt := range refusals {
		pairs := make([]any, 0, 2*len(tt.fields))
		for _, k := range slices.Sorted(maps.Keys(tt.fields)) {
			pairs = append(pairs, k, tt.fields[k])
		}
		if err := r.Client.XAdd(ctx, &redis.XAddArgs{Stream: ingest.Stream, Values: pairs}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	waitSettled(t, b, 10*time.Second)
	dead, err := r.Client.XRange(ctx, ingest.DeadStream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != len(refusals) {
		t.Fatalf("%d dead entries, want %d", len(dead), len(refusals))
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			// Batches run concurrently, so the dead stream's order may
			// differ from the input's: find the entry by its fields.
			var got map[string]any
			for _, d := range dead {
				if sameOriginal(d.Values, tt.fields) {
					got = d.Values
				}
			}
			if got == nil {
				t.Fatalf("no dead entry holds the original fields %v", tt.fields)
			}
			reason, _ := got[ingest.FieldError].(string)
			for _, w := range tt.want {
				if !strings.Contains(reason, w) {
					t.Errorf("error %q does not say %q", reason, w)
				}
			}
			if got[ingest.FieldFailedAt] != fixedNow.Format(time.RFC3339Nano) {
				t.Errorf("failed_at = %q, want %q", got[ingest.FieldFailedAt], fixedNow.Format(time.RFC3339Nano))
			}
		})
	}
	for _, q := range queues.Names() {
		if tasks := queueTasks(t, insp, q); len(tasks) != 0 {
			t.Errorf("queue %s holds %d tasks, want none", q, len(tasks))
		}
	}
	if got := counter(t, reg, ingest.OutcomeDead); got != float64(len(refusals)) {
		t.Errorf("dead counter = %v, want %d", got, len(refusals))
	}
}

// sameOriginal reports whether the dead entry dead holds exactly the
// original fields, besides error and failed_at.
func sameOriginal(dead, original map[string]any) bool {
	if len(dead) != len(original)+2 {
		return false
	}
	for k, v := range original {
		if dead[k] != v {
			return false
		}
	}
	return true
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	r, _ := redisFor(t)
	b, reg := newBridge(t, r.Client, nil)
	if err := r.Client.XGroupCreateMkStream(context.Background(), ingest.Stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	xadd(t, r.Client, "kind", "upload:process", "payload", `{"upload_id":1}`, "idempotency_key", "u1")
	xadd(t, r.Client, "kind", "upload:process", "payload", `{"upload_id":1}`, "idempotency_key", "u1")
	xadd(t, r.Client, "kind", "report:generate", "payload", `{"report_id":2}`)
	xadd(t, r.Client, "kind", "nope")

	t.Run("lag and pending before the bridge runs", func(t *testing.T) {
		lag, err := b.Lag(context.Background())
		if err != nil || lag != 4 {
			t.Errorf("Lag = %d, %v; want 4", lag, err)
		}
		if got := metricValue(t, reg, "jobs_ingest_lag", "group", group); got != 4 {
			t.Errorf("jobs_ingest_lag = %v, want 4", got)
		}
		if got := metricValue(t, reg, "jobs_ingest_stream_length", "stream", ingest.Stream); got != 4 {
			t.Errorf("jobs_ingest_stream_length = %v, want 4", got)
		}
	})
	startBridge(t, b)
	waitSettled(t, b, 10*time.Second)
	t.Run("outcomes counted", func(t *testing.T) {
		for _, tc := range []struct {
			outcome string
			want    float64
		}{{"read", 4}, {ingest.OutcomeEnqueued, 2}, {ingest.OutcomeDuplicate, 1}, {ingest.OutcomeDead, 1}, {ingest.OutcomeFailed, 0}} {
			if got := counter(t, reg, tc.outcome); got != tc.want {
				t.Errorf("jobs_ingest_entries_total{outcome=%q} = %v, want %v", tc.outcome, got, tc.want)
			}
		}
	})
	t.Run("gauges after draining", func(t *testing.T) {
		for _, tc := range []struct {
			name, label, value string
			want               float64
		}{
			{"jobs_ingest_lag", "group", group, 0},
			{"jobs_ingest_pending", "group", group, 0},
			{"jobs_ingest_stream_length", "stream", ingest.DeadStream, 1},
			{"jobs_ingest_scrape_ok", "", "", 1},
		} {
			if got := metricValue(t, reg, tc.name, tc.label, tc.value); got != tc.want {
				t.Errorf("%s{%s=%q} = %v, want %v", tc.name, tc.label, tc.value, got, tc.want)
			}
		}
	})
}
