package ops

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// rateWindow is how far back a campaign's send rate is measured.
const rateWindow = 10 * time.Minute

// campaign is one row of the campaigns page.
type campaign struct {
	ID, SalonID                    int64
	Salon, Name, Status            string
	SendAt                         time.Time
	StartedAt, FinishedAt          time.Time
	Recipients, Sent, Skipped      int
	States                         []stateCount
	Unfinished                     int
	QuietWaiting                   int
	QuietUntil                     time.Time
	RecentSent                     int
	RatePerMin                     float64
	Finish                         time.Time
	CanPause, CanResume, CanCancel bool
}

type stateCount struct {
	State string
	N     int
}

// outboxStates is the order the page shows the states in.
var outboxStates = []string{"pending", "sending", "sent", "delivered", "undelivered", "unknown", "failed", "skipped"}

// active reports whether texts of a campaign in this status may still go out.
func active(status string) bool {
	return status == "scheduled" || status == "sending" || status == "paused"
}

func (h *Handler) campaigns(w http.ResponseWriter, r *http.Request, u User) {
	if !h.needDB(w) {
		return
	}
	list, err := h.listCampaigns(r.Context())
	if err != nil {
		h.fail(w, "list campaigns", err)
		return
	}
	h.render(w, r, u, "campaigns", "Campaigns", list)
}

func (h *Handler) listCampaigns(ctx context.Context) ([]campaign, error) {
	// Unfinished campaigns first, then the latest; campaigns are few
	// beside their texts.
	rows, err := h.cfg.DB.Query(ctx, `
		SELECT c.id, c.salon_id, s.name, c.name, c.status, c.send_at, c.started_at, c.finished_at,
		       c.recipients_total, c.sent_count, c.skipped_count
		FROM campaigns c JOIN salons s ON s.id = c.salon_id
		ORDER BY c.status IN ('scheduled', 'sending', 'paused') DESC, c.id DESC
		LIMIT $1`, rowLimit)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (campaign, error) {
		var c campaign
		var started, finished *time.Time
		err := row.Scan(&c.ID, &c.SalonID, &c.Salon, &c.Name, &c.Status, &c.SendAt, &started, &finished,
			&c.Recipients, &c.Sent, &c.Skipped)
		if started != nil {
			c.StartedAt = *started
		}
		if finished != nil {
			c.FinishedAt = *finished
		}
		return c, err
	})
	if err != nil || len(list) == 0 {
		return list, err
	}
	ids := make([]int64, len(list))
	var live []int64
	byID := map[int64]*campaign{}
	for i := range list {
		c := &list[i]
		ids[i] = c.ID
		byID[c.ID] = c
		c.CanPause = c.Status == "scheduled" || c.Status == "sending"
		c.CanResume = c.Status == "paused"
		c.CanCancel = active(c.Status)
	}
	// Counts per state: an index-only scan of (campaign_id, status).
	counts := map[int64]map[string]int{}
	rows, err = h.cfg.DB.Query(ctx, `
		SELECT campaign_id, status, count(*) FROM sms_messages
		WHERE campaign_id = ANY($1) GROUP BY campaign_id, status`, ids)
	if err != nil {
		return nil, err
	}
	var id int64
	var state string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&id, &state, &n}, func() error {
		if counts[id] == nil {
			counts[id] = map[string]int{}
		}
		counts[id][state] = n
		return nil
	}); err != nil {
		return nil, err
	}
	for i := range list {
		c := &list[i]
		for _, s := range outboxStates {
			if n := counts[c.ID][s]; n > 0 {
				c.States = append(c.States, stateCount{s, n})
			}
		}
		c.Unfinished = counts[c.ID]["pending"] + counts[c.ID]["sending"]
		// A campaign whose fan-out is done ("sent") still has texts to
		// send while some wait for quiet hours: it is live until they leave.
		if active(c.Status) || c.Unfinished > 0 {
			live = append(live, c.ID)
		}
	}
	if len(live) == 0 {
		return list, nil
	}
	// Waits and rate only for campaigns still sending, each through an
	// index of its own (the campaign's quiet-hours waits; its texts by
	// sent time), so neither reads the campaign's other rows.
	since := h.now().Add(-rateWindow)
	for _, id := range live {
		c := byID[id]
		var until *time.Time
		if err := h.cfg.DB.QueryRow(ctx, `
			SELECT count(*), max(send_after) FROM sms_messages
			WHERE campaign_id = $1 AND status = 'pending' AND wait_reason = 'quiet_hours'`, id).Scan(&c.QuietWaiting, &until); err != nil {
			return nil, err
		}
		if until != nil {
			c.QuietUntil = *until
		}
		if err := h.cfg.DB.QueryRow(ctx, `
			SELECT count(*) FROM sms_messages
			WHERE campaign_id = $1 AND sent_at IS NOT NULL AND sent_at >= $2`, id, since).Scan(&c.RecentSent); err != nil {
			return nil, err
		}
	}
	for _, id := range live {
		c := byID[id]
		c.RatePerMin = float64(c.RecentSent) / rateWindow.Minutes()
		if c.RatePerMin > 0 && c.Unfinished > 0 && (c.Status == "sending" || c.Status == "sent") {
			c.Finish = h.now().Add(time.Duration(float64(c.Unfinished) / c.RatePerMin * float64(time.Minute)))
		}
	}
	return list, nil
}

// campaignAction pauses, resumes or cancels a campaign: the status change
// the API makes, guarded by the states it may leave, so a campaign that
// has moved on meanwhile is not touched. The dispatcher and the senders
// read the status and do the rest (texts wait, or end skipped).
func (h *Handler) campaignAction(ctx context.Context, form url.Values, u User) (string, error) {
	if h.cfg.DB == nil {
		return "", fmt.Errorf("no database configured")
	}
	id, err := strconv.ParseInt(form.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", fmt.Errorf("%w: campaign id %q", errBadRequest, form.Get("id"))
	}
	var sql, done string
	switch form.Get("action") {
	case "pause":
		sql, done = `UPDATE campaigns SET status = 'paused' WHERE id = $1 AND status IN ('scheduled', 'sending')`, "paused"
	case "resume":
		// Back to where it was: sending once its fan-out has started.
		sql, done = `UPDATE campaigns SET status = CASE WHEN started_at IS NULL THEN 'scheduled' ELSE 'sending' END
			WHERE id = $1 AND status = 'paused'`, "resumed"
	case "cancel":
		sql, done = `UPDATE campaigns SET status = 'cancelled' WHERE id = $1 AND status IN ('scheduled', 'sending', 'paused')`, "cancelled"
	default:
		return "", fmt.Errorf("%w: action %q", errBadRequest, form.Get("action"))
	}
	tag, err := h.cfg.DB.Exec(ctx, sql, id)
	if err != nil {
		return "", fmt.Errorf("%s campaign %d: %w", form.Get("action"), id, err)
	}
	if tag.RowsAffected() == 0 {
		return "", fmt.Errorf("%w: campaign %d is not in a state that can be %s (reload the page)", errConflict, id, done)
	}
	return fmt.Sprintf("Campaign %d %s.", id, done), nil
}

// fail answers 500 for a page that could not be read, and logs why.
func (h *Handler) fail(w http.ResponseWriter, what string, err error) {
	h.cfg.Logger.Error("ops: "+what, "err", err)
	http.Error(w, what+" failed; see the log", http.StatusInternalServerError)
}
