-- What the outboxes record so that recovery never has to guess: whether a
-- claimed text or email was handed to the provider, and what the lookups of
-- a text whose answer was lost have found so far.

-- +goose Up
ALTER TABLE sms_messages
    ADD COLUMN handover        text CHECK (handover IN ('claimed', 'handed')),
    ADD COLUMN handed_at       timestamptz,
    ADD COLUMN absent_at       timestamptz,
    ADD COLUMN lookup_after    timestamptz,
    ADD COLUMN lookups_failed  integer NOT NULL DEFAULT 0 CHECK (lookups_failed >= 0);
COMMENT ON COLUMN sms_messages.handover IS
    'Under the current claim: claimed (Twilio not called yet) or handed (committed just before the request left). NULL for a row under no claim, or claimed by a daemon that did not record hand-overs: such a claim counts as handed.';
COMMENT ON COLUMN sms_messages.handed_at IS
    'When the current attempt was handed to Twilio; lookups of a lost answer reach back past it.';
COMMENT ON COLUMN sms_messages.absent_at IS
    'When a complete lookup at Twilio first found no trace of an unknown row; a second one a settle interval later sends it again.';
COMMENT ON COLUMN sms_messages.lookup_after IS
    'The reconciler looks an unknown row up again no earlier than this.';
COMMENT ON COLUMN sms_messages.lookups_failed IS
    'Lookups of this unknown row that failed (Twilio unreachable, incomplete list).';
-- Rows caught mid-send by the upgrade may have reached Twilio: their claim
-- time stands for the hand-over.
UPDATE sms_messages SET handed_at = claimed_at WHERE status IN ('sending', 'unknown');
-- The reconciler's queue of unknown rows, in lookup order.
CREATE INDEX sms_messages_unknown_lookup_idx ON sms_messages (lookup_after NULLS FIRST, id)
    WHERE status = 'unknown';
-- The sweep of pending rows whose task was lost.
CREATE INDEX sms_messages_pending_idx ON sms_messages (id)
    WHERE status = 'pending';

ALTER TABLE email_messages
    ADD COLUMN handover text CHECK (handover IN ('claimed', 'handed'));
COMMENT ON COLUMN email_messages.handover IS
    'Under the current claim: claimed (the provider not called yet) or handed (committed just before the request left). NULL for a row under no claim, or claimed by a daemon that did not record hand-overs: such a claim counts as handed.';

-- +goose Down
ALTER TABLE email_messages DROP COLUMN handover;
DROP INDEX sms_messages_pending_idx;
DROP INDEX sms_messages_unknown_lookup_idx;
ALTER TABLE sms_messages
    DROP COLUMN lookups_failed,
    DROP COLUMN lookup_after,
    DROP COLUMN absent_at,
    DROP COLUMN handed_at,
    DROP COLUMN handover;
