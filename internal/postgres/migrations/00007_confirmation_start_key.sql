-- Confirmation keys name the appointment's start time
-- (confirmation:<appointment>:<unix seconds>), so that a moved appointment
-- gets a confirmation for its new time and the send path can tell the old
-- one is no longer true. Rows made under the old key
-- (confirmation:<appointment>) for appointments still booked (the only ones
-- the dispatcher may select again) are given the
-- new key with the start time they were written for, their appointment's
-- current one: the dispatcher then finds them under the key it makes and
-- creates no second confirmation.

-- +goose Up
UPDATE sms_messages m
SET idempotency_key = m.idempotency_key || ':' || extract(epoch FROM a.starts_at)::bigint
FROM appointments a
WHERE m.kind = 'confirmation' AND a.id = m.appointment_id
  AND m.idempotency_key ~ '^confirmation:[0-9]+$'
  AND a.status = 'booked';
COMMENT ON COLUMN sms_messages.idempotency_key IS
    'confirmation:<appointment id>:<start, unix seconds> (confirmation:<appointment id> before migration 11), review:<appointment id>, campaign:<campaign id>:<customer id>, or the producer''s key.';

-- +goose Down
UPDATE sms_messages
SET idempotency_key = regexp_replace(idempotency_key, '^(confirmation:[0-9]+):[0-9]+$', '\1')
WHERE kind = 'confirmation' AND idempotency_key ~ '^confirmation:[0-9]+:[0-9]+$'
  AND id = (SELECT min(id) FROM sms_messages o
            WHERE o.appointment_id = sms_messages.appointment_id AND o.kind = 'confirmation');
