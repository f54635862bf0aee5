package ops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/queues"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// optedOut is Twilio's error for a recipient who replied STOP: such a
// text is never sent again.
const optedOut = 21610

// text is one row of the texts page.
type text struct {
	ID, SalonID         int64
	Salon, Kind, Status string
	To                  string
	Reason              string
	ErrorCode           int
	SID                 bool
	CampaignID          int64
	Created, Updated    time.Time
	TaskLink            string
	CanMark, CanRequeue bool
}

// textFilter is the page's query: salon id, state, reason (an error code
// or words of the error message).
type textFilter struct {
	Salon  string
	State  string
	Reason string
}

type textsPage struct {
	Filter textFilter
	Rows   []text
	Limit  int
}

// sendTaskID is the task ID the sms dispatchers give a row's first
// sms:send task.
func sendTaskID(id int64) string { return "sms:send:" + strconv.FormatInt(id, 10) }

func (h *Handler) texts(w http.ResponseWriter, r *http.Request, u User) {
	if !h.needDB(w) {
		return
	}
	q := r.URL.Query()
	f := textFilter{Salon: strings.TrimSpace(q.Get("salon")), State: q.Get("state"), Reason: strings.TrimSpace(q.Get("reason"))}
	rows, err := h.listTexts(r.Context(), f)
	if errors.Is(err, errBadRequest) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err != nil {
		h.fail(w, "list texts", err)
		return
	}
	h.render(w, r, u, "texts", "Texts needing attention", textsPage{Filter: f, Rows: rows, Limit: rowLimit})
}

// listTexts reads the newest unknown and failed rows matching f, through
// the partial index of those two states (sms_messages_attention_idx).
func (h *Handler) listTexts(ctx context.Context, f textFilter) ([]text, error) {
	where := []string{"m.status IN ('unknown', 'failed')"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Salon != "" {
		id, err := strconv.ParseInt(f.Salon, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: salon %q is not an id", errBadRequest, f.Salon)
		}
		where = append(where, "m.salon_id = "+arg(id))
	}
	switch f.State {
	case "":
	case "unknown", "failed":
		where = append(where, "m.status = "+arg(f.State))
	default:
		return nil, fmt.Errorf("%w: state %q is not unknown or failed", errBadRequest, f.State)
	}
	if f.Reason != "" {
		if code, err := strconv.Atoi(f.Reason); err == nil {
			where = append(where, "m.error_code = "+arg(code))
		} else {
			where = append(where, "m.error_message ILIKE "+arg("%"+escapeLike(f.Reason)+"%"))
		}
	}
	rows, err := h.cfg.DB.Query(ctx, `
		SELECT m.id, m.salon_id, s.name, m.kind, m.status, m.to_phone, coalesce(m.error_message, ''),
		       coalesce(m.error_code, 0), m.twilio_sid IS NOT NULL, coalesce(m.campaign_id, 0), m.created_at, m.updated_at
		FROM sms_messages m JOIN salons s ON s.id = m.salon_id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY m.id DESC LIMIT `+arg(rowLimit), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (text, error) {
		var t text
		var to, reason string
		err := row.Scan(&t.ID, &t.SalonID, &t.Salon, &t.Kind, &t.Status, &to, &reason, &t.ErrorCode, &t.SID, &t.CampaignID, &t.Created, &t.Updated)
		t.To = redact.Phone(to)
		// The reason may quote the number or the body Twilio refused.
		t.Reason = redact.Text(strings.ReplaceAll(reason, to, t.To))
		t.TaskLink = h.taskLink(queues.SMS, sendTaskID(t.ID))
		t.CanMark = t.Status == "unknown"
		t.CanRequeue = resendSafe(t.Status, t.SID, t.ErrorCode)
		return t, err
	})
}

// resendSafe reports whether a row may be sent again without any chance
// of a duplicate: it failed because Twilio refused it (an error code and
// no message SID), so Twilio never had it, and not because the recipient
// opted out. A failed row without an error code failed on a lost outcome
// and may have been sent.
func resendSafe(status string, sid bool, code int) bool {
	return status == "failed" && !sid && code != 0 && code != optedOut
}

// escapeLike escapes LIKE's wildcards in s.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// textAction marks an unknown row sent or failed after the operator
// checked Twilio's console, or requeues a failed row whose resend is
// safe. Each is one guarded UPDATE: a row that has moved on (the
// reconciler settled it, another operator acted) is left alone.
func (h *Handler) textAction(ctx context.Context, form url.Values, u User) (string, error) {
	if h.cfg.DB == nil {
		return "", fmt.Errorf("no database configured")
	}
	id, err := strconv.ParseInt(form.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", fmt.Errorf("%w: text id %q", errBadRequest, form.Get("id"))
	}
	now := h.now()
	switch form.Get("action") {
	case "mark-sent":
		sid := strings.TrimSpace(form.Get("sid"))
		if sid != "" && !twilioSID(sid) {
			return "", fmt.Errorf("%w: %q is not a Twilio message SID (SM… or MM…, 34 characters)", errBadRequest, sid)
		}
		var sidArg any
		if sid != "" {
			sidArg = sid
		}
		tag, err := h.cfg.DB.Exec(ctx, `
			UPDATE sms_messages SET status = 'sent', sent_at = coalesce(sent_at, $2), twilio_sid = coalesce($3, twilio_sid),
				error_message = left('marked sent by ' || $4 || ' after checking the provider; was: ' || coalesce(error_message, ''), 1000)
			WHERE id = $1 AND status = 'unknown'`, id, now, sidArg, u.Name)
		if err != nil {
			return "", fmt.Errorf("mark text %d sent: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return "", fmt.Errorf("%w: text %d is no longer unknown (reload the page)", errConflict, id)
		}
		return fmt.Sprintf("Text %d marked sent.", id), nil
	case "mark-failed":
		tag, err := h.cfg.DB.Exec(ctx, `
			UPDATE sms_messages SET status = 'failed', failed_at = $2,
				error_message = left('marked failed by ' || $3 || ' after checking the provider; was: ' || coalesce(error_message, ''), 1000)
			WHERE id = $1 AND status = 'unknown'`, id, now, u.Name)
		if err != nil {
			return "", fmt.Errorf("mark text %d failed: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return "", fmt.Errorf("%w: text %d is no longer unknown (reload the page)", errConflict, id)
		}
		return fmt.Sprintf("Text %d marked failed.", id), nil
	case "requeue":
		return h.requeueText(ctx, id, now)
	}
	return "", fmt.Errorf("%w: action %q", errBadRequest, form.Get("action"))
}

// requeueText puts a failed row whose resend is safe back to pending and
// enqueues its sms:send task under a fresh task ID (the first one is
// finished), as the reconciler does for a resend. Only one request can
// move the row, so a double click makes one task. Should the enqueue
// fail, the row stays pending and the pending-row sweep enqueues it.
func (h *Handler) requeueText(ctx context.Context, id int64, now time.Time) (string, error) {
	tag, err := h.cfg.DB.Exec(ctx, `
		UPDATE sms_messages SET status = 'pending', claimed_at = NULL, failed_at = NULL, send_after = NULL, wait_reason = NULL
		WHERE id = $1 AND status = 'failed' AND twilio_sid IS NULL AND error_code IS NOT NULL AND error_code <> $2`, id, optedOut)
	if err != nil {
		return "", fmt.Errorf("requeue text %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return "", fmt.Errorf("%w: text %d is not a failed text Twilio refused (reload the page)", errConflict, id)
	}
	task, err := tasksms.NewSendTask(tasksms.SendPayload{MessageID: id})
	if err != nil {
		return "", err
	}
	taskID := fmt.Sprintf("%s:requeue:%d", sendTaskID(id), now.UnixMicro())
	if _, err := h.client.EnqueueContext(ctx, task, asynq.TaskID(taskID)); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return "", fmt.Errorf("text %d is pending again but its task was not enqueued (the sweep will): %w", id, err)
	}
	return fmt.Sprintf("Text %d requeued as task %s.", id, taskID), nil
}

// twilioSID reports whether s looks like a Twilio message SID.
func twilioSID(s string) bool {
	if len(s) != 34 || (!strings.HasPrefix(s, "SM") && !strings.HasPrefix(s, "MM")) {
		return false
	}
	for _, r := range s[2:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}
