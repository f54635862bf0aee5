-- Each salon may send from a Twilio sender of its own, at a rate of its
-- own; NULL keeps the platform's (TWILIO_FROM / TWILIO_MESSAGING_SERVICE_SID,
-- SMS_RATE_PER_SECOND). The API writes both. Each outbox row records the
-- sender it was handed to Twilio from, so that a text whose answer was lost
-- is looked up under that sender even after the salon's changed.

-- +goose Up
ALTER TABLE salons
    ADD COLUMN sms_sender text
        CHECK (sms_sender ~ '^\+[1-9][0-9]{6,14}$' OR sms_sender ~ '^MG[0-9a-fA-F]{32}$'),
    ADD COLUMN sms_rate_per_second double precision
        CHECK (sms_rate_per_second > 0 AND sms_rate_per_second < 'Infinity');
COMMENT ON COLUMN salons.sms_sender IS
    'Written by the API. The salon''s Twilio sender: an E.164 number or a Messaging Service SID (MG…); NULL is the platform''s.';
COMMENT ON COLUMN salons.sms_rate_per_second IS
    'Written by the API. Texts a second from the salon''s sender; NULL is SMS_RATE_PER_SECOND.';
CREATE INDEX salons_sms_sender_idx ON salons (sms_sender) WHERE sms_sender IS NOT NULL;

ALTER TABLE sms_messages ADD COLUMN sender text;
COMMENT ON COLUMN sms_messages.sender IS
    'The Twilio sender (number or MG… SID) the last attempt was handed over from; NULL before it, or for rows handed over before migration 8 (the platform''s sender).';

-- +goose Down
ALTER TABLE sms_messages DROP COLUMN sender;
DROP INDEX salons_sms_sender_idx;
ALTER TABLE salons DROP COLUMN sms_rate_per_second, DROP COLUMN sms_sender;
