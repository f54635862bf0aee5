package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/salonworks/jobs/internal/sms/text"
)

// result is what a scenario reports.
type result struct {
	Scenario string
	// AtStandIn is how many messages the stand-in took; Duplicates how
	// many of those were a second (or later) text to one number.
	AtStandIn, Duplicates int
	// Blocked is texts taken for numbers that must get none: no consent,
	// or opted out before the text was sent.
	Blocked int
	// QuietHours is texts taken outside the default sending window
	// (08:00-21:00) in the salon's time.
	QuietHours int
	// NeverSent is rows meant to go out (not skipped) with no text at the
	// stand-in; WrittenOff those of them marked failed.
	NeverSent, WrittenOff int
	// NotFinal is rows still pending, sending or unknown at the end.
	NotFinal int
	// Settle is the time from the end of the fault to every row final.
	Settle time.Duration
	// Statuses counts the rows by status.
	Statuses map[string]int
}

func (r result) String() string {
	settle := "not settled"
	if r.Settle >= 0 {
		settle = r.Settle.Round(100 * time.Millisecond).String()
	}
	return fmt.Sprintf("%s: %d at the stand-in, %d duplicates, %d to blocked numbers, %d in quiet hours, %d never sent (%d written off), %d not final, settled in %s; rows %v",
		r.Scenario, r.AtStandIn, r.Duplicates, r.Blocked, r.QuietHours, r.NeverSent, r.WrittenOff, r.NotFinal, settle, r.Statuses)
}

// report gathers the scenario's result from the stand-in and the database.
func (h *harness) report(name string, settle time.Duration) result {
	h.t.Helper()
	ctx := context.Background()
	r := result{Scenario: name, Settle: settle, Statuses: map[string]int{}}
	perNumber := map[string]int{}
	for _, m := range h.standin.Messages() {
		r.AtStandIn++
		perNumber[m.To]++
		if perNumber[m.To] > 1 {
			r.Duplicates++
		}
		if since, ok := h.blocked[m.To]; ok && (since.IsZero() || m.DateCreated.After(since.Add(time.Second))) {
			r.Blocked++
		}
		if !text.DefaultQuietHours.Allowed(m.DateCreated, h.zone) {
			r.QuietHours++
		}
	}
	rows, err := h.pg.Pool.Query(ctx, `SELECT to_phone, status, coalesce(error_message, '') FROM sms_messages`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var to, status, msg string
		if err := rows.Scan(&to, &status, &msg); err != nil {
			h.t.Fatal(err)
		}
		r.Statuses[status]++
		switch status {
		case "pending", "sending", "unknown":
			r.NotFinal++
		}
		if status != "skipped" && perNumber[to] == 0 {
			r.NeverSent++
			if status == "failed" {
				r.WrittenOff++
				if r.WrittenOff <= 3 {
					h.t.Logf("written off: %s (%s)", status, msg)
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Log(r)
	return r
}

// check fails the test unless the result meets the goal: nothing sent
// twice, nothing to a blocked number or in quiet hours, nothing lost,
// everything final.
func (h *harness) check(r result) {
	h.t.Helper()
	if r.Duplicates != 0 || r.Blocked != 0 || r.QuietHours != 0 || r.NeverSent != 0 || r.NotFinal != 0 || r.Settle < 0 {
		h.t.Errorf("goal missed: %s", r)
	}
}
