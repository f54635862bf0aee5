package outbox

import (
	"strconv"
	"strings"
	"time"

	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// Status is a row's place in the state machine (sms_messages.status).
type Status string

// The states of an outbox row; see the package documentation.
const (
	// StatusPending waits to be claimed, perhaps until SendAfter.
	StatusPending Status = "pending"
	// StatusSending is claimed by a worker that is calling Twilio.
	StatusSending Status = "sending"
	// StatusSent was accepted by Twilio (the SID is known).
	StatusSent Status = "sent"
	// StatusDelivered reached the handset (final).
	StatusDelivered Status = "delivered"
	// StatusUndelivered was accepted but not delivered by the carrier (final).
	StatusUndelivered Status = "undelivered"
	// StatusFailed was refused by Twilio or failed to send (final).
	StatusFailed Status = "failed"
	// StatusSkipped was never sent, for the reason in SkipReason (final).
	StatusSkipped Status = "skipped"
	// StatusUnknown was handed to Twilio but the answer was lost.
	StatusUnknown Status = "unknown"
)

// Categories of a message; marketing needs the customer's consent.
const (
	// CategoryTransactional is a confirmation, review request or ad hoc message.
	CategoryTransactional = tasksms.CategoryTransactional
	// CategoryMarketing is a campaign message.
	CategoryMarketing = tasksms.CategoryMarketing
)

// Kinds of message (sms_messages.kind).
const (
	// KindConfirmation confirms a booked appointment.
	KindConfirmation = "confirmation"
	// KindReview asks for a review after a completed appointment.
	KindReview = "review"
	// KindCampaign is one recipient's copy of a campaign (marketing only).
	KindCampaign = "campaign"
	// KindAdhoc is an inline sms:send from a producer.
	KindAdhoc = "adhoc"
)

// Reasons recorded in skip_reason and wait_reason.
const (
	// SkipOptedOut: the recipient opted out before the message went out.
	SkipOptedOut = "opted_out"
	// SkipNoConsent: a marketing message to a customer without consent.
	SkipNoConsent = "no_consent"
	// SkipCampaignCancelled: the message's campaign was cancelled.
	SkipCampaignCancelled = "campaign_cancelled"
	// WaitQuietHours: outside the recipient's sending window.
	WaitQuietHours = "quiet_hours"
	// WaitRateLimited: the sender's rate limit, or Twilio's 429.
	WaitRateLimited = "rate_limited"
)

// ConfirmationKey is the idempotency key of an appointment's confirmation
// for the start time startsAt: confirmation:<appointment>:<unix seconds>.
// A moved appointment gets a new confirmation, under a new key; the send
// path reads the time back (ConfirmationStart) to skip the old one.
func ConfirmationKey(appointmentID int64, startsAt time.Time) string {
	return "confirmation:" + strconv.FormatInt(appointmentID, 10) + ":" + strconv.FormatInt(startsAt.Unix(), 10)
}

// ConfirmationStart returns the start time a confirmation's key names, and
// false for a key of the form made before keys named it
// (confirmation:<appointment>).
func ConfirmationStart(key string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(key, "confirmation:")
	if !ok {
		return time.Time{}, false
	}
	_, unix, ok := strings.Cut(rest, ":")
	if !ok {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// ReviewKey is the idempotency key of an appointment's review request.
func ReviewKey(appointmentID int64) string {
	return "review:" + strconv.FormatInt(appointmentID, 10)
}

// CampaignKey is the idempotency key of a campaign's message to a customer.
func CampaignKey(campaignID, customerID int64) string {
	return "campaign:" + strconv.FormatInt(campaignID, 10) + ":" + strconv.FormatInt(customerID, 10)
}

// Message is one outbox row. For Create, set IdempotencyKey, SalonID,
// Category, Kind, To and Body, and the ids it relates to; Create computes
// Segments and Encoding and ignores the remaining fields except WaitReason
// and SendAfter. Zero ids, codes, strings and times stand for NULL.
type Message struct {
	// ID is the row's id; the payload of sms:send.
	ID int64
	// IdempotencyKey names the logical message: ConfirmationKey,
	// ReviewKey, CampaignKey, or a producer's key.
	IdempotencyKey string
	// SalonID is the salon the message is sent for.
	SalonID int64
	// CustomerID, AppointmentID and CampaignID relate the message to the
	// domain rows it came from, when it did.
	CustomerID    int64
	AppointmentID int64
	CampaignID    int64
	// Category is CategoryTransactional or CategoryMarketing.
	Category string
	// Kind is KindConfirmation, KindReview, KindCampaign or KindAdhoc.
	Kind string
	// To is the recipient's number, E.164.
	To string
	// Body is the text; never logged.
	Body string
	// Status is the row's state.
	Status Status
	// SkipReason says why a skipped row was not sent (SkipOptedOut, …).
	SkipReason string
	// WaitReason and SendAfter say why and until when a send was put off
	// (WaitQuietHours, WaitRateLimited); kept as history once sent.
	WaitReason string
	SendAfter  time.Time
	// TwilioSID is Twilio's id of the message, once known.
	TwilioSID string
	// ErrorCode and ErrorMessage describe the last failure: Twilio's error
	// code, or a lost answer's error.
	ErrorCode    int
	ErrorMessage string
	// Segments and Encoding are what the body is billed as (text.Segments).
	Segments int
	Encoding string
	// Attempts counts the claims that were not released: the calls made,
	// or about to be made, to Twilio.
	Attempts int
	// ClaimedAt is when the last claim was made; zero once released.
	ClaimedAt time.Time
	// SentAt, DeliveredAt and FailedAt are when the row reached those
	// states; FailedAt also for undelivered.
	SentAt      time.Time
	DeliveredAt time.Time
	FailedAt    time.Time
	// CreatedAt and UpdatedAt are the row's own timestamps.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Handover says how far the current claim got: HandoverClaimed
	// (Twilio not called yet) or HandoverHanded; empty under no claim, or
	// under a claim that did not record it (counted as handed).
	Handover Handover
	// HandedAt is when the current attempt was handed to Twilio.
	HandedAt time.Time
	// AbsentAt is when a complete lookup first found no trace of this
	// unknown row at Twilio; LookupAfter is when it may be looked up
	// again; LookupsFailed counts the lookups that could not decide.
	AbsentAt      time.Time
	LookupAfter   time.Time
	LookupsFailed int
	// Sender is the Twilio sender (number or Messaging Service SID) the
	// current attempt was handed over from; empty before a hand-over, or
	// for one recorded before senders were (the platform's sender).
	Sender string
}

// Handover is how far a claim got towards Twilio (sms_messages.handover).
type Handover string

// The stages of a claim.
const (
	// HandoverClaimed: claimed, Twilio certainly not called yet.
	HandoverClaimed Handover = "claimed"
	// HandoverHanded: recorded, in a committed write, just before the
	// request to Twilio left; Twilio may have the text.
	HandoverHanded Handover = "handed"
)

// Since is the time a lookup at Twilio must reach back past for this
// row's last attempt: the hand-over, or the claim for a row claimed
// before hand-overs were recorded.
func (m Message) Since() time.Time {
	if !m.HandedAt.IsZero() {
		return m.HandedAt
	}
	return m.ClaimedAt
}
