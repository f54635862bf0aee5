package reports

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"

	taskemail "github.com/salonworks/jobs/tasks/email"
)

// EmailIdempotencyKey is the idempotency key of the email telling the
// requester report id is ready: one report, one email.
func EmailIdempotencyKey(id int64) string { return "report:" + strconv.FormatInt(id, 10) }

// failedEmailKey is the key of the email saying report id failed; a
// report that an operator re-runs after a failure can still send its link.
func failedEmailKey(id int64) string { return EmailIdempotencyKey(id) + ":failed" }

// notifyDone enqueues the email with the link to the finished report.
func (g *Generator) notifyDone(ctx context.Context, r report, url string) error {
	what, file := "salon summary", "PDF"
	if r.Type == TypeAppointmentsExport {
		what, file = "appointments export", "CSV file"
	}
	expires := g.Clock.Now().Add(LinkTTL).UTC().Format("2 January 2006, 15:04 MST")
	msg := fmt.Sprintf("The %s of %s for %s is ready. The link works until %s.",
		what, oneLine(r.SalonName), period(r), expires)
	return g.enqueueEmail(ctx, taskemail.SendPayload{
		Template: taskemail.TemplateNotification,
		To:       r.Email,
		Data: map[string]any{
			"subject":   "Your " + what + " is ready",
			"message":   msg,
			"link_url":  url,
			"link_text": "Download the " + file,
		},
		IdempotencyKey: EmailIdempotencyKey(r.ID),
	})
}

// notifyFailed enqueues the email saying the report could not be made;
// the reason stays in the row, for support: it may name internals.
func (g *Generator) notifyFailed(ctx context.Context, r report) error {
	what := "salon summary"
	if r.Type == TypeAppointmentsExport {
		what = "appointments export"
	}
	return g.enqueueEmail(ctx, taskemail.SendPayload{
		Template: taskemail.TemplateNotification,
		To:       r.Email,
		Data: map[string]any{
			"subject": "Your " + what + " could not be created",
			"message": fmt.Sprintf("We could not create the %s of %s for %s. Please request it again; if it fails again, contact support and mention report %d.",
				what, oneLine(r.SalonName), period(r), r.ID),
		},
		IdempotencyKey: failedEmailKey(r.ID),
	})
}

// enqueueEmail enqueues p under a task ID derived from its idempotency
// key, so a retry finds the task already there while asynq keeps it.
func (g *Generator) enqueueEmail(ctx context.Context, p taskemail.SendPayload) error {
	task, err := taskemail.NewSendTask(p, asynq.TaskID("email:"+p.IdempotencyKey))
	if err != nil {
		// The requester's address passed the table's CHECK but not the
		// email contract: nothing a retry changes.
		return fail("the notification email could not be built", err)
	}
	_, err = g.Enqueue.EnqueueContext(ctx, task)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue report email: %w", err)
	}
	return nil
}

// period writes a report's dates for people: "1–31 March 2026".
func period(r report) string {
	from, to := r.From, r.To
	switch {
	case from.Equal(to):
		return to.Format("2 January 2006")
	case from.Year() == to.Year() && from.Month() == to.Month():
		return fmt.Sprintf("%d–%s", from.Day(), to.Format("2 January 2006"))
	case from.Year() == to.Year():
		return fmt.Sprintf("%s – %s", from.Format("2 January"), to.Format("2 January 2006"))
	}
	return fmt.Sprintf("%s – %s", from.Format("2 January 2006"), to.Format("2 January 2006"))
}

// oneLine keeps a name on one line (names are the API's free text).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
