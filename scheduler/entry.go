// Package scheduler replaces the platform's EventBridge rules: schedule
// entries (built in, or from a YAML schedule file), their tick arithmetic
// across time zones and daylight saving, and the leader-elected runner that
// enqueues each tick exactly once, catching up missed ticks within their
// grace window.
package scheduler

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/tasks"
)

// Entry is one schedule: a kind fired with a payload on a cron expression in
// a time zone.
type Entry struct {
	// Name is unique; it is part of every tick's task ID.
	Name string
	// Cron is a five-field expression, or @hourly, @daily, @every 30s, ….
	Cron string
	// Timezone is an IANA zone name; the cron expression is read in it.
	Timezone string
	// Kind is the task kind fired.
	Kind string
	// Payload is the task payload, validated with the kind's Validate.
	Payload json.RawMessage
	// Grace is how late a missed tick may still be enqueued (after a
	// failover or an outage); 0 means a missed tick is skipped.
	Grace time.Duration
	// Enabled entries fire; disabled ones are listed but never fire.
	Enabled bool

	schedule Schedule
	loc      *time.Location
}

// Defaults returns the built-in entries, at parity with the EventBridge
// rules they replace (docs/scheduler.md).
func Defaults() []Entry {
	return []Entry{
		{Name: "salon-queue-reset", Cron: "0 8 * * *", Timezone: "UTC", Kind: "salon:reset_queue", Payload: json.RawMessage(`{}`), Grace: 2 * time.Hour, Enabled: true},
		{Name: "review-sms", Cron: "* * * * *", Timezone: "UTC", Kind: "sms:dispatch_reviews", Payload: json.RawMessage(`{}`), Grace: 0, Enabled: true},
		{Name: "confirmation-sms", Cron: "*/30 * * * *", Timezone: "UTC", Kind: "sms:dispatch_confirmations", Payload: json.RawMessage(`{}`), Grace: 10 * time.Minute, Enabled: true},
		{Name: "campaign-sms", Cron: "*/15 * * * *", Timezone: "UTC", Kind: "sms:dispatch_campaigns", Payload: json.RawMessage(`{}`), Grace: 10 * time.Minute, Enabled: true},
		{Name: "daily-stats", Cron: "15 0 * * *", Timezone: "UTC", Kind: "sync:daily_stats", Payload: json.RawMessage(`{}`), Grace: 6 * time.Hour, Enabled: true},
	}
}

// prepare validates e and compiles its schedule. Every problem is returned.
func (e *Entry) prepare() []string {
	var problems []string
	if e.Name == "" {
		problems = append(problems, "name is required")
	}
	if e.Timezone == "" {
		e.Timezone = "UTC"
	}
	loc, err := time.LoadLocation(e.Timezone)
	if err != nil {
		problems = append(problems, fmt.Sprintf("timezone %q is not an IANA time zone", e.Timezone))
		loc = time.UTC
	}
	e.loc = loc
	if e.Cron == "" {
		problems = append(problems, "cron is required")
	} else if s, err := ParseSchedule(e.Cron, loc); err != nil {
		problems = append(problems, fmt.Sprintf("cron %q: %v", e.Cron, err))
	} else {
		e.schedule = s
	}
	if e.Grace < 0 {
		problems = append(problems, fmt.Sprintf("grace %s is negative", e.Grace))
	}
	if len(e.Payload) == 0 {
		e.Payload = json.RawMessage(`{}`)
	}
	if e.Kind == "" {
		problems = append(problems, "kind is required")
	} else if _, err := tasks.Decode(e.Kind, e.Payload); err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// Location is the entry's time zone.
func (e *Entry) Location() *time.Location { return e.loc }

// Next returns the entry's first tick strictly after t.
func (e *Entry) Next(t time.Time) time.Time { return e.schedule.Next(t) }

// Ticks returns the entry's ticks in (from, to], at most max of them.
func (e *Entry) Ticks(from, to time.Time, max int) []time.Time {
	var out []time.Time
	for t := e.Next(from); !t.IsZero() && !t.After(to) && len(out) < max; t = e.Next(t) {
		out = append(out, t)
	}
	return out
}

// TaskID is the ID of the task fired for tick: the same in every scheduler
// process, so a tick can never make two tasks while its task is kept.
func (e *Entry) TaskID(tick time.Time) string {
	return fmt.Sprintf("schedule:%s:%d", e.Name, tick.Unix())
}

// Task builds the task for tick with the kind's queue options, then opts
// (tasks.WithTraceContext).
func (e *Entry) Task(tick time.Time, opts ...asynq.Option) (*asynq.Task, error) {
	return tasks.NewTask(e.Kind, e.Payload, append([]asynq.Option{asynq.TaskID(e.TaskID(tick))}, opts...)...)
}
