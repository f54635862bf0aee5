package sms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/internal/taskerr"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// DispatchCampaigns handles sms:dispatch_campaigns: each campaign whose send_at has
// passed is fanned out, in batches, to every customer of its salon with
// marketing consent who has not opted out, one message per (campaign,
// customer). The campaign moves scheduled → sending → sent with its counts;
// a fan-out cut short resumes where it stopped on the next run. A campaign
// that fails does not hold up the others: its error is returned once every
// other due campaign has been fanned out.
func (d *Dispatcher) DispatchCampaigns(ctx context.Context, _ *asynq.Task, _ *tasksms.DispatchCampaignsPayload) error {
	var errs []error
	// Cancelled campaigns' waiting texts end skipped and resumed ones'
	// go out again here too, not only in the reconciler's passes.
	if err := campaignPass(ctx, d.Store, d.Enqueue, d.Clock.Now(), d.Logger); err != nil {
		errs = append(errs, err)
	}
	for {
		done, err := d.nextCampaign(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		if done {
			err := errors.Join(errs...)
			if err != nil && isOutage(err) {
				// The database or Redis went away mid-fan-out: wait,
				// without spending a retry, until the campaign may be
				// claimed again (a minute after its start), so this task
				// resumes it instead of leaving it to the next scheduled
				// run, up to 15 minutes later.
				return taskerr.RateLimited(campaignResumeAfter, err)
			}
			return err
		}
	}
}

// campaignResumeAfter is how long a fan-out cut short by an outage waits:
// past the minute after which its campaign may be claimed again.
const campaignResumeAfter = 70 * time.Second

// nextCampaign claims one due campaign (SKIP LOCKED, so concurrent
// dispatchers share the work) and fans it out. done reports that no
// campaign was due, or that none could be claimed. A campaign that failed
// was claimed just now (started_at), so the next call passes it over.
func (d *Dispatcher) nextCampaign(ctx context.Context) (done bool, err error) {
	var id, salonID int64
	var body string
	err = pgx.BeginFunc(ctx, d.DB, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			SELECT id, salon_id, body FROM campaigns
			WHERE status IN ('scheduled', 'sending') AND send_at <= $1::timestamptz
			  AND (status = 'scheduled' OR started_at < $1::timestamptz - interval '1 minute' OR started_at IS NULL)
			ORDER BY send_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`, d.Clock.Now()).Scan(&id, &salonID, &body)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE campaigns SET status = 'sending', started_at = $2 WHERE id = $1`, id, d.Clock.Now())
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return true, fmt.Errorf("claim due campaign: %w", err)
	}
	total, created, stopped, err := d.fanOut(ctx, id, salonID, text.MarketingBody(body))
	if err != nil {
		return false, fmt.Errorf("fan out campaign %d: %w", id, err)
	}
	if stopped != "" {
		// Cancelled: nothing more is made. Paused: the fan-out goes on
		// from the start (existing rows are kept) once the campaign is
		// sending again and its claim has aged, so it is not marked sent.
		d.Logger.InfoContext(ctx, "campaign fan-out stopped", "campaign_id", id, "status", stopped, "recipients_so_far", total, "new_messages", created)
		return false, nil
	}
	_, err = d.DB.Exec(ctx, `
		UPDATE campaigns SET status = 'sent', recipients_total = $2, finished_at = $3
		WHERE id = $1 AND status = 'sending'`, id, total, d.Clock.Now())
	if err != nil {
		return false, fmt.Errorf("finish campaign %d: %w", id, err)
	}
	d.Logger.InfoContext(ctx, "campaign fanned out", "campaign_id", id, "salon_id", salonID, "recipients", total, "new_messages", created)
	return false, nil
}

// fanOut creates the campaign's messages chunk by chunk, putting each
// chunk's new rows in line for the salon's sender before reading the next,
// so memory stays flat. Before
// each chunk it reads the campaign's status again: when the API has
// cancelled or paused it, the fan-out stops there and stopped names the
// status.
func (d *Dispatcher) fanOut(ctx context.Context, campaignID, salonID int64, body string) (total, created int, stopped string, err error) {
	var after int64
	for {
		status, err := d.Store.CampaignStatus(ctx, campaignID)
		if err != nil {
			return total, created, "", err
		}
		if status != "sending" {
			return total, created, status, nil
		}
		rows, err := d.DB.Query(ctx, `
			SELECT id, phone FROM customers
			WHERE salon_id = $1 AND marketing_consent AND sms_opted_out_at IS NULL AND id > $2
			ORDER BY id LIMIT $3`, salonID, after, outbox.BatchSize)
		if err != nil {
			return total, created, "", err
		}
		var msgs []outbox.Message
		for rows.Next() {
			m := outbox.Message{CampaignID: campaignID, SalonID: salonID, Category: outbox.CategoryMarketing, Kind: outbox.KindCampaign, Body: body}
			if err := rows.Scan(&m.CustomerID, &m.To); err != nil {
				rows.Close()
				return total, created, "", err
			}
			m.IdempotencyKey = outbox.CampaignKey(campaignID, m.CustomerID)
			msgs = append(msgs, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, created, "", err
		}
		if len(msgs) == 0 {
			return total, created, "", nil
		}
		ids, err := d.lineUp(ctx, salonID, msgs)
		if err != nil {
			return total, created, "", err
		}
		total += len(msgs)
		created += len(ids)
		after = msgs[len(msgs)-1].CustomerID
		if d.afterBatch != nil {
			d.afterBatch(campaignID)
		}
	}
}
