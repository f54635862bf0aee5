package ops

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/scheduler"
	"github.com/salonworks/jobs/tasks"
)

// nextRuns is how many coming runs the page lists per entry.
const nextRuns = 5

// schedule is one row of the schedules page.
type schedule struct {
	Name, Spec, Kind string
	Cron, Timezone   string
	Disabled         bool
	Next             []time.Time
	LastAt           time.Time
	LastTask         string
	LastLink         string
	Outcome          string
	OutcomeError     string
}

type schedulesPage struct {
	Rows      []schedule
	Published bool
	Leader    string
	LeaderTTL time.Duration
}

func (h *Handler) schedules(w http.ResponseWriter, r *http.Request, u User) {
	ctx := r.Context()
	page := schedulesPage{}
	leader, err := h.cfg.Redis.Get(ctx, scheduler.LeaderKey).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		h.fail(w, "read the scheduler leader", err)
		return
	}
	page.Leader = leader
	if leader != "" {
		page.LeaderTTL, _ = h.cfg.Redis.PTTL(ctx, scheduler.LeaderKey).Result()
	}
	// What the leader runs, as it publishes it for asynqmon; without a
	// leader, the built-in entries.
	entries, err := h.insp.SchedulerEntries()
	if err != nil {
		h.fail(w, "read schedule entries", err)
		return
	}
	now := h.now()
	if len(entries) > 0 {
		page.Published = true
		for _, e := range entries {
			page.Rows = append(page.Rows, h.scheduleRow(e.ID, e.Spec, e.Task.Type(), now))
		}
	} else {
		for _, e := range scheduler.Defaults() {
			page.Rows = append(page.Rows, h.scheduleRow(e.Name, e.Cron+" ("+e.Timezone+", grace "+e.Grace.String()+")", e.Kind, now))
		}
	}
	h.render(w, r, u, "schedules", "Schedules", page)
}

// scheduleRow describes entry name, whose spec is the scheduler's
// "CRON (TIMEZONE, grace D)[ disabled]", with its next runs and its last
// enqueued task.
func (h *Handler) scheduleRow(name, spec, kind string, now time.Time) schedule {
	s := schedule{Name: name, Spec: spec, Kind: kind, Disabled: strings.HasSuffix(spec, " disabled")}
	if cron, rest, ok := strings.Cut(spec, " ("); ok {
		s.Cron = cron
		s.Timezone, _, _ = strings.Cut(rest, ",")
		s.Timezone = strings.TrimSuffix(s.Timezone, ")")
	} else {
		s.Cron, s.Timezone = spec, "UTC"
	}
	if loc, err := time.LoadLocation(s.Timezone); err == nil && !s.Disabled {
		if sched, err := scheduler.ParseSchedule(s.Cron, loc); err == nil {
			for t := now; len(s.Next) < nextRuns; {
				if t = sched.Next(t); t.IsZero() {
					break
				}
				s.Next = append(s.Next, t)
			}
		}
	}
	events, err := h.insp.ListSchedulerEnqueueEvents(name, asynq.PageSize(nextRuns))
	if err != nil || len(events) == 0 {
		s.Outcome = "no tick recorded"
		return s
	}
	last := events[0]
	for _, e := range events[1:] {
		if e.EnqueuedAt.After(last.EnqueuedAt) {
			last = e
		}
	}
	s.LastAt, s.LastTask = last.EnqueuedAt, last.TaskID
	k, ok := tasks.Lookup(kind)
	if !ok {
		s.Outcome = "unknown kind"
		return s
	}
	s.LastLink = h.taskLink(k.Queue, last.TaskID)
	info, err := h.insp.GetTaskInfo(k.Queue, last.TaskID)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound):
		s.Outcome = "finished, no longer kept"
	case err != nil:
		s.Outcome = "cannot tell: " + redact.Text(err.Error())
	default:
		s.Outcome = info.State.String()
		s.OutcomeError = redact.Text(redact.Quoted(info.Type, info.Payload)(info.LastErr))
	}
	return s
}
