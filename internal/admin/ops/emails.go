package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/email"
	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/queues"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

// unknownPrefix starts the error of an email whose outcome was lost.
const unknownPrefix = "outcome unknown"

// maxArchivedScan bounds how many archived tasks a requeue reads to find
// an email's task (asynq keeps at most 10,000 archived tasks per queue).
const maxArchivedScan = 10_000

// mail is one row of the emails page.
type mail struct {
	ID                  int64
	Template, To, Error string
	Attempts            int
	Unknown             bool
	Created, Updated    time.Time
}

type emailsPage struct {
	Unknown, Other []mail
	Limit          int
	ArchivedLink   string
}

func (h *Handler) emails(w http.ResponseWriter, r *http.Request, u User) {
	if !h.needDB(w) {
		return
	}
	ctx := r.Context()
	unknown, err := h.listEmails(ctx, true)
	if err != nil {
		h.fail(w, "list emails", err)
		return
	}
	other, err := h.listEmails(ctx, false)
	if err != nil {
		h.fail(w, "list emails", err)
		return
	}
	h.render(w, r, u, "emails", "Emails needing attention", emailsPage{
		Unknown: unknown, Other: other, Limit: rowLimit,
		ArchivedLink: h.cfg.QueuesPath + "/queues/" + queues.Emails + "?status=archived",
	})
}

// listEmails reads the newest failed rows whose outcome was lost
// (unknown) or not, through the partial index of failed rows.
func (h *Handler) listEmails(ctx context.Context, unknown bool) ([]mail, error) {
	cond := "coalesce(error, '') LIKE 'outcome unknown%'"
	if !unknown {
		cond = "NOT " + cond
	}
	rows, err := h.cfg.DB.Query(ctx, `
		SELECT id, template, to_address, coalesce(error, ''), attempts, created_at, updated_at
		FROM email_messages WHERE status = 'failed' AND `+cond+`
		ORDER BY id DESC LIMIT $1`, rowLimit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (mail, error) {
		var m mail
		var to, reason string
		err := row.Scan(&m.ID, &m.Template, &to, &reason, &m.Attempts, &m.Created, &m.Updated)
		m.To = redact.Email(to)
		m.Error = redact.Text(strings.ReplaceAll(reason, to, m.To))
		m.Unknown = strings.HasPrefix(reason, unknownPrefix)
		return m, err
	})
}

// emailAction requeues a failed email deliberately: its archived task,
// which holds the template data the outbox does not keep, is found by the
// row's idempotency key, the row goes back to pending and the task runs
// again. A row whose task is gone cannot be resent from here: its data
// is nowhere else.
func (h *Handler) emailAction(ctx context.Context, form url.Values, u User) (string, error) {
	if h.cfg.DB == nil {
		return "", fmt.Errorf("no database configured")
	}
	id, err := strconv.ParseInt(form.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", fmt.Errorf("%w: email id %q", errBadRequest, form.Get("id"))
	}
	if form.Get("action") != "requeue" {
		return "", fmt.Errorf("%w: action %q", errBadRequest, form.Get("action"))
	}
	var key, status string
	err = h.cfg.DB.QueryRow(ctx, `SELECT idempotency_key, status FROM email_messages WHERE id = $1`, id).Scan(&key, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%w: no email %d", errConflict, id)
	}
	if err != nil {
		return "", fmt.Errorf("read email %d: %w", id, err)
	}
	if status != "failed" {
		return "", fmt.Errorf("%w: email %d is %s, not failed (reload the page)", errConflict, id, status)
	}
	taskID, err := h.findEmailTask(key)
	if err != nil {
		return "", err
	}
	tag, err := h.cfg.DB.Exec(ctx, `
		UPDATE email_messages SET status = 'pending',
			error = left('requeued by ' || $2 || '; was: ' || coalesce(error, ''), 1000)
		WHERE id = $1 AND status = 'failed'`, id, u.Name)
	if err != nil {
		return "", fmt.Errorf("requeue email %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return "", fmt.Errorf("%w: email %d is no longer failed (reload the page)", errConflict, id)
	}
	if err := h.insp.RunTask(queues.Emails, taskID); err != nil {
		// Put the row back so the page tells the truth.
		_, _ = h.cfg.DB.Exec(context.WithoutCancel(ctx), `
			UPDATE email_messages SET status = 'failed', error = substr(error, length('requeued by ' || $2 || '; was: ') + 1)
			WHERE id = $1 AND status = 'pending'`, id, u.Name)
		return "", fmt.Errorf("%w: run task %s of email %d: %v", errConflict, taskID, id, err)
	}
	return fmt.Sprintf("Email %d requeued: task %s runs again.", id, taskID), nil
}

// findEmailTask returns the ID of the archived email:send task whose
// payload has outbox key key.
func (h *Handler) findEmailTask(key string) (string, error) {
	const pageSize = 500
	for page := 1; (page-1)*pageSize < maxArchivedScan; page++ {
		list, err := h.insp.ListArchivedTasks(queues.Emails, asynq.PageSize(pageSize), asynq.Page(page))
		if err != nil {
			return "", fmt.Errorf("list archived emails: %w", err)
		}
		for _, t := range list {
			if t.Type != taskemail.KindSend {
				continue
			}
			var p taskemail.SendPayload
			if json.Unmarshal(t.Payload, &p) == nil && email.IdempotencyKey(p) == key {
				return t.ID, nil
			}
		}
		if len(list) < pageSize {
			break
		}
	}
	return "", fmt.Errorf("%w: this email's task is no longer in the archive (asynq keeps archived tasks 90 days), and the outbox keeps no template data; ask the sender to send it again", errConflict)
}
