package sesevents

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/salonworks/jobs/internal/email/outbox"
)

// errUnreadable: a verified notification whose message is not an SES
// event this package reads.
var errUnreadable = errors.New("not an SES event")

// sesEvent is the part of an SES event (configuration-set event
// publishing: eventType; identity notifications: notificationType) that
// acts on the outbox. Recipients' addresses are not read: the row's own
// recipient is the one suppressed.
type sesEvent struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID string `json:"messageId"`
	} `json:"mail"`
	Bounce *struct {
		BounceType    string    `json:"bounceType"`
		BounceSubType string    `json:"bounceSubType"`
		Timestamp     time.Time `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		FeedbackType string    `json:"complaintFeedbackType"`
		Timestamp    time.Time `json:"timestamp"`
	} `json:"complaint"`
	Delivery *struct {
		Timestamp time.Time `json:"timestamp"`
	} `json:"delivery"`
	Reject *struct {
		Reason string `json:"reason"`
	} `json:"reject"`
	DeliveryDelay *struct {
		DelayType string `json:"delayType"`
	} `json:"deliveryDelay"`
}

// feedback reads the SES event in message into the outbox's terms. The
// event types that do not concern the outbox (Open, Click, …) return ok
// false; its type is returned for counting either way.
func feedback(notificationID, message string, at time.Time) (f outbox.Feedback, ok bool, err error) {
	var ev sesEvent
	if err := json.Unmarshal([]byte(message), &ev); err != nil {
		return outbox.Feedback{}, false, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	typ := ev.EventType
	if typ == "" {
		typ = ev.NotificationType
	}
	if typ == "" || ev.Mail.MessageID == "" {
		return outbox.Feedback{}, false, fmt.Errorf("%w: no event type or message id", errUnreadable)
	}
	f = outbox.Feedback{NotificationID: notificationID, ProviderMessageID: ev.Mail.MessageID, At: at}
	switch typ {
	case "Send":
		f.Event = outbox.EventSend
	case "Delivery":
		f.Event = outbox.EventDelivery
	case "DeliveryDelay":
		f.Event = outbox.EventDeliveryDelay
	case "Bounce":
		if ev.Bounce == nil {
			return outbox.Feedback{}, false, fmt.Errorf("%w: Bounce without bounce", errUnreadable)
		}
		// Undetermined bounces are counted as transient: suppressing on
		// a guess would lose a customer's email for good.
		f.Event = outbox.EventTransientBounce
		if ev.Bounce.BounceType == "Permanent" {
			f.Event = outbox.EventBounce
		}
		f.Detail = fmt.Sprintf("%s bounce: %s", ev.Bounce.BounceType, ev.Bounce.BounceSubType)
		if !ev.Bounce.Timestamp.IsZero() {
			f.At = ev.Bounce.Timestamp
		}
	case "Complaint":
		f.Event = outbox.EventComplaint
		f.Detail = "complaint"
		if ev.Complaint != nil && ev.Complaint.FeedbackType != "" {
			f.Detail = "complaint: " + ev.Complaint.FeedbackType
		}
	case "Reject":
		f.Event = outbox.EventReject
		f.Detail = "rejected by SES"
		if ev.Reject != nil && ev.Reject.Reason != "" {
			f.Detail = "rejected by SES: " + ev.Reject.Reason
		}
	default:
		return outbox.Feedback{}, false, nil
	}
	return f, true, nil
}
