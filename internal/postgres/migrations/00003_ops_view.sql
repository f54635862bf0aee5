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
-- Emails needing attention, newest first.
CREATE INDEX IF NOT EXISTS email_messages_failed_idx ON email_messages (id)
    WHERE status = 'failed';

-- +goose Down
DROP INDEX IF EXISTS email_messages_failed_idx;
DROP INDEX IF EXISTS sms_messages_attention_idx;
ALTER TABLE campaigns DROP CONSTRAINT campaigns_status_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_status_check
    CHECK (status IN ('scheduled', 'sending', 'sent', 'cancelled'));
