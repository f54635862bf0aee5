package twilio

import (
	"context"
	"time"
)

// lookupLimit bounds one Lookup: the newest messages to one number. A salon
// customer gets a handful a week, so this reaches back far beyond any
// hand-over the reconciler asks about; a list that does not is reported
// incomplete rather than read as an absence.
const lookupLimit = 200

// Listed is one message Twilio holds, as the list endpoint shows it.
type Listed struct {
	// SID is Twilio's message SID.
	SID string
	// Body is the text as Twilio stored it: a Messaging Service may have
	// re-encoded characters or shortened links, so it is no exact key.
	Body string
	// Status is Twilio's status of the message ("queued", "sent", …).
	Status string
	// Created is Twilio's date_created (one-second resolution).
	Created time.Time
}

// Lookup is what Twilio holds for one number since a point in time.
type Lookup struct {
	// Messages are those created at or after the time asked for, from the
	// configured sender (Messaging Service or From number), newest first.
	Messages []Listed
	// Complete reports that the list reached back past that time (a
	// message created before it was seen, or the list ended): the absence
	// of a message from Messages is then evidence that Twilio never took
	// it.
	Complete bool
}

// Lookup lists the messages to the number to created at or after since,
// from the configured sender, with their bodies and statuses. Unlike
// FindSent it does not match bodies: the caller decides which message is
// whose. One list request (paged by the SDK), no DateSent filter, since
// that leaves out messages Twilio has queued but not sent yet.
func (c *Client) Lookup(ctx context.Context, to string, since time.Time) (Lookup, error) {
	return c.LookupFrom(ctx, "", to, since)
}

// LookupFrom is Lookup for the messages sent from sender (a Messaging
// Service SID or a number; empty is the configured sender): a text is
// looked up under the sender that sent it.
func (c *Client) LookupFrom(ctx context.Context, sender, to string, since time.Time) (Lookup, error) {
	since = since.UTC().Truncate(time.Second)
	if err := ctx.Err(); err != nil {
		return Lookup{}, err
	}
	service, from := c.sender(sender)
	p := senderListParams(to, service, from)
	p.SetLimit(lookupLimit)
	api, x := c.api(ctx)
	msgs, err := api.ListMessage(p)
	x.finish()
	if err != nil {
		return Lookup{}, c.classifyList(to, x, err)
	}
	out := Lookup{Complete: len(msgs) < lookupLimit}
	for _, m := range msgs {
		if m.Sid == nil || *m.Sid == "" || m.DateCreated == nil {
			continue
		}
		created, err := time.Parse(time.RFC1123Z, *m.DateCreated)
		if err != nil {
			continue
		}
		if created.Before(since) {
			out.Complete = true
			continue
		}
		if service != "" && m.MessagingServiceSid != nil && *m.MessagingServiceSid != "" && *m.MessagingServiceSid != service {
			continue
		}
		out.Messages = append(out.Messages, Listed{SID: *m.Sid, Body: deref(m.Body), Status: deref(m.Status), Created: created})
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
