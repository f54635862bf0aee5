package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrUnknownTwilioStatus means a callback carried a status this store does not
// rank (an inbound one, or a new one of Twilio's). Nothing was changed.
var ErrUnknownTwilioStatus = errors.New("unknown twilio message status")

// statusUpdate is what a Twilio status does to a row: the state it moves
// to and the states it may move from (those ranked below it).
type statusUpdate struct {
	to   Status
	from []string
}

var (
	beforeSent     = []string{string(StatusSending), string(StatusUnknown)}
	beforeTerminal = []string{string(StatusSending), string(StatusUnknown), string(StatusSent)}
)

// twilioStatuses ranks Twilio's outbound statuses against ours. Accepted,
// scheduled, queued and sending (Twilio's) all mean Twilio has the
// message: our sent. Read (RCS, WhatsApp) implies delivered; canceled (a
// scheduled message called off) is a failure.
var twilioStatuses = map[string]statusUpdate{
	"accepted":    {StatusSent, beforeSent},
	"scheduled":   {StatusSent, beforeSent},
	"queued":      {StatusSent, beforeSent},
	"sending":     {StatusSent, beforeSent},
	"sent":        {StatusSent, beforeSent},
	"delivered":   {StatusDelivered, beforeTerminal},
	"read":        {StatusDelivered, beforeTerminal},
	"undelivered": {StatusUndelivered, beforeTerminal},
	"failed":      {StatusFailed, beforeTerminal},
	"canceled":    {StatusFailed, beforeTerminal},
}

// setStatus is the SET clause every callback applies: $2 the new state,
// $3 the error code (NULL keeps the old one), $4 the callback's time.
const setStatus = `status = $2::text,
	error_code = coalesce($3, error_code),
	sent_at = coalesce(sent_at, $4),
	delivered_at = CASE WHEN $2::text = 'delivered' THEN $4 ELSE delivered_at END,
	failed_at = CASE WHEN $2::text IN ('failed', 'undelivered') THEN $4 ELSE failed_at END`

// ApplyStatus applies a Twilio status callback (MessageStatus, ErrorCode;
// 0 for none) at time at to the row with that SID. It only moves the row
// forward: queued/sending < sent < delivered | undelivered | failed, the
// last three terminal. A duplicate, an out-of-order callback, or one for a
// SID no row has yet, changes nothing and returns changed false.
func (s *Store) ApplyStatus(ctx context.Context, sid, twilioStatus string, errorCode int, at time.Time) (changed bool, err error) {
	u, ok := twilioStatuses[twilioStatus]
	if !ok {
		return false, fmt.Errorf("apply status to %s: %w: %q", sid, ErrUnknownTwilioStatus, twilioStatus)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE sms_messages SET `+setStatus+`
		WHERE twilio_sid = $1 AND status = ANY($5)`,
		sid, string(u.to), null(errorCode), at, u.from)
	if err != nil {
		return false, fmt.Errorf("apply status %s to %s: %w", twilioStatus, sid, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ApplyStatusByID is ApplyStatus for a callback that also names the row,
// as when the StatusCallback URL carries the message id
// (…/webhooks/twilio/status?message_id=42). It matches the row by id, with
// the same SID or none recorded yet, and records the SID: a callback that
// beats MarkSent, or that arrives for a row whose send answer was lost
// (unknown), still counts. MarkSent with that SID afterwards is a no-op.
func (s *Store) ApplyStatusByID(ctx context.Context, id int64, sid, twilioStatus string, errorCode int, at time.Time) (changed bool, err error) {
	u, ok := twilioStatuses[twilioStatus]
	if !ok {
		return false, fmt.Errorf("apply status to message %d: %w: %q", id, ErrUnknownTwilioStatus, twilioStatus)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE sms_messages SET `+setStatus+`, twilio_sid = $6
		WHERE id = $1 AND (twilio_sid = $6 OR twilio_sid IS NULL) AND status = ANY($5)`,
		id, string(u.to), null(errorCode), at, u.from, sid)
	if err != nil {
		return false, fmt.Errorf("apply status %s to message %d: %w", twilioStatus, id, err)
	}
	return tag.RowsAffected() == 1, nil
}
