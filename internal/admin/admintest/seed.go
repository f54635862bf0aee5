// Package admintest fills a test Redis database with tasks for the
// dashboard's tests: every queue, several states, payloads that hold phone
// numbers and email addresses, and task IDs a test can name.
package admintest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// QueuePlan says how many tasks of each state one queue gets.
type QueuePlan struct {
	Pending, Scheduled, Archived int
}

// Total is the queue's size once seeded.
func (p QueuePlan) Total() int { return p.Pending + p.Scheduled + p.Archived }

// Plan maps a queue name to its tasks.
type Plan map[string]QueuePlan

// Total is the number of tasks across the queues.
func (p Plan) Total() int {
	n := 0
	for _, q := range p {
		n += q.Total()
	}
	return n
}

// TenThousand is the load the dashboard's page time is measured with:
// 10,000 tasks across the five queues, in proportion to how busy each is.
var TenThousand = Plan{
	"emails":  {Pending: 2_600, Scheduled: 380, Archived: 20},
	"sms":     {Pending: 3_400, Scheduled: 580, Archived: 20},
	"uploads": {Pending: 980, Scheduled: 10, Archived: 10},
	"sync":    {Pending: 1_480, Scheduled: 10, Archived: 10},
	"reports": {Pending: 480, Scheduled: 10, Archived: 10},
}

// Small is a few tasks per queue, for tests that act on single tasks.
var Small = Plan{
	"emails":  {Pending: 3, Scheduled: 1, Archived: 2},
	"sms":     {Pending: 3, Scheduled: 1, Archived: 2},
	"uploads": {Pending: 2, Archived: 1},
	"sync":    {Pending: 2, Archived: 1},
	"reports": {Pending: 1, Archived: 1},
}

// TaskID names the i-th task (from 0) of a state in a queue:
// "seed:sms:archived:0". It holds colons as the scheduler's task IDs do,
// which asynqmon's routes (".../{task_id}:run") must still tell apart.
func TaskID(queue, state string, i int) string { return fmt.Sprintf("seed:%s:%s:%d", queue, state, i) }

// Phone is the number in the i-th task's payload of the sms queue.
func Phone(i int) string { return fmt.Sprintf("+1555%07d", i) }

// Email is the address in the i-th task's payload of the emails queue.
func Email(i int) string { return fmt.Sprintf("client%d@example.com", i) }

// payload returns a task kind and JSON payload for the queue, the shapes
// of the real task contract (docs/design.md, the task catalogue).
func payload(queue string, i int) (string, string) {
	switch queue {
	case "emails":
		return "email:send", fmt.Sprintf(`{"template":"welcome","to":%q,"data":{"name":"Client %d"}}`, Email(i), i)
	case "sms":
		return "sms:send", fmt.Sprintf(`{"to":%q,"body":"See you tomorrow at 10:00","salon_id":1,"category":"transactional","idempotency_key":"seed-%d"}`, Phone(i), i)
	case "uploads":
		return "upload:process", fmt.Sprintf(`{"upload_id":%d}`, i+1)
	case "reports":
		return "report:generate", fmt.Sprintf(`{"report_id":%d}`, i+1)
	default:
		return "sync:daily_stats", `{"date":"2026-01-02"}`
	}
}

// Seed enqueues plan into the database of opt and returns when every task
// is in its state. Archived tasks are enqueued, then archived, as a task
// that used up its retries would be.
func Seed(t testing.TB, opt asynq.RedisConnOpt, plan Plan) {
	t.Helper()
	client := asynq.NewClient(opt)
	defer client.Close()
	insp := asynq.NewInspector(opt)
	defer insp.Close()

	type job struct {
		queue, state string
		i            int
	}
	jobs := make(chan job)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				kind, body := payload(j.queue, j.i)
				id := TaskID(j.queue, j.state, j.i)
				opts := []asynq.Option{asynq.Queue(j.queue), asynq.TaskID(id), asynq.MaxRetry(3)}
				if j.state == "scheduled" {
					opts = append(opts, asynq.ProcessIn(24*time.Hour))
				}
				_, err := client.Enqueue(asynq.NewTask(kind, []byte(body)), opts...)
				if err == nil && j.state == "archived" {
					err = insp.ArchiveTask(j.queue, id)
				}
				if err != nil {
					select {
					case errs <- fmt.Errorf("seed %s: %w", id, err):
					default:
					}
				}
			}
		}()
	}
	for q, p := range plan {
		for _, s := range []struct {
			state string
			n     int
		}{{"pending", p.Pending}, {"scheduled", p.Scheduled}, {"archived", p.Archived}} {
			for i := range s.n {
				jobs <- job{q, s.state, i}
			}
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}
