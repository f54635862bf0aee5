-- What the operations pages (/admin/ops) need: campaigns that can be
-- paused, and indexes that keep the pages fast over large outboxes.

-- +goose Up
-- Paused: the API or an operator stops a campaign's texts for a while
-- (they wait); resuming sets it back to sending. Written so it is a no-op
-- when another migration already allowed it.
ALTER TABLE campaigns DROP CONSTRAINT IF EXISTS campaigns_status_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_status_check
    CHECK (status IN ('scheduled', 'sending', 'paused', 'sent', 'cancelled'));
-- Texts needing attention, newest first: the few unknown and failed rows
-- among millions.
CREATE INDEX IF NOT EXISTS sms_messages_attention_idx ON sms_messages (id)
    WHERE status IN ('unknown', 'failed');
-- A sending campaign's rate: its texts sent in the last minutes.
CREATE INDEX IF NOT EXISTS sms_messages_campaign_sent_idx ON sms_messages (campaign_id, sent_at)
    WHERE campaign_id IS NOT NULL AND sent_at IS NOT NULL;
-- A campaign's texts waiting for quiet hours to end, and until when.
CREATE INDEX IF NOT EXISTS sms_messages_campaign_quiet_idx ON sms_messages (campaign_id, send_after)
    WHERE status = 'pending' AND wait_reason = 'quiet_hours';
-- Emails needing attention, newest first.
CREATE INDEX IF NOT EXISTS email_messages_failed_idx ON email_messages (id)
    WHERE status = 'failed';

-- +goose Down
DROP INDEX IF EXISTS email_messages_failed_idx;
DROP INDEX IF EXISTS sms_messages_campaign_quiet_idx;
DROP INDEX IF EXISTS sms_messages_campaign_sent_idx;
DROP INDEX IF EXISTS sms_messages_attention_idx;
ALTER TABLE campaigns DROP CONSTRAINT campaigns_status_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_status_check
    CHECK (status IN ('scheduled', 'sending', 'sent', 'cancelled'));
