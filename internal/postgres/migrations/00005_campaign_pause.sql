-- Campaigns the API may pause and resume: a paused campaign's texts wait
-- (wait_reason campaign_paused, no task) until it is sending again.

-- +goose Up
-- Dropped and recreated by name, so that another migration allowing
-- 'paused' as well leaves the same constraint whichever runs last.
ALTER TABLE campaigns DROP CONSTRAINT IF EXISTS campaigns_status_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_status_check
    CHECK (status IN ('scheduled', 'sending', 'sent', 'cancelled', 'paused'));
COMMENT ON COLUMN campaigns.status IS
    'scheduled -> sending -> sent, written by the daemon; the API may set cancelled or paused at any time, and sending again to resume a paused campaign.';
-- The texts of paused campaigns, found again when their campaign resumes.
CREATE INDEX IF NOT EXISTS sms_messages_campaign_paused_idx ON sms_messages (campaign_id, id)
    WHERE status = 'pending' AND wait_reason = 'campaign_paused';

-- +goose Down
-- The constraint is left as it is: migration 3 (the operations pages)
-- allows paused too, and its own Down takes it back.
DROP INDEX IF EXISTS sms_messages_campaign_paused_idx;
