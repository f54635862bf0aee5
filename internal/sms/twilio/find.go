package twilio

import (
	"context"
	"time"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

const (
	// findPageSize and findLimit bound FindSent's second look: the newest
	// messages to one number, whatever their state. A salon customer gets
	// a handful a week, so 200 reaches back far beyond any claim.
	findPageSize = 50
	findLimit    = 200
)

// FindSent reports whether Twilio holds a message to the number to whose
// body is exactly body and that was created at or after since, and returns
// its SID. The reconciler uses it to learn whether an attempt whose outcome
// was lost reached Twilio.
//
// Twilio's dates have one-second resolution and its clock is not ours:
// pass the claim time minus whatever clock skew should be tolerated. Only
// messages from the configured sender count (same Messaging Service, or
// same From number).
//
// Two lists are read: messages sent since (Twilio's DateSent> filter), then,
// because that filter leaves out messages still queued (they have no
// date_sent), the newest messages to the number, checked by date_created.
func (c *Client) FindSent(ctx context.Context, to string, since time.Time, body string) (sid string, found bool, err error) {
	since = since.UTC().Truncate(time.Second)

	sent := c.listParams(to)
	sent.SetDateSentAfter(since)
	if sid, found, err = c.find(ctx, sent, to, since, body); err != nil || found {
		return sid, found, err
	}
	return c.find(ctx, c.listParams(to), to, since, body)
}

func (c *Client) listParams(to string) *openapi.ListMessageParams {
	return senderListParams(to, c.service, c.from)
}

// senderListParams lists the messages to `to` from a number, or from
// anything when they went through a Messaging Service (the list has no
// filter for it: the caller checks the service of each).
func senderListParams(to, service, from string) *openapi.ListMessageParams {
	p := &openapi.ListMessageParams{}
	p.SetTo(to).SetPageSize(findPageSize).SetLimit(findLimit)
	if service == "" {
		p.SetFrom(from)
	}
	return p
}

func (c *Client) find(ctx context.Context, p *openapi.ListMessageParams, to string, since time.Time, body string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	api, x := c.api(ctx)
	msgs, err := api.ListMessage(p)
	x.finish()
	if err != nil {
		return "", false, c.classifyList(to, x, err)
	}
	for _, m := range msgs {
		if c.matches(m, since, body) {
			return *m.Sid, true, nil
		}
	}
	return "", false, nil
}

// matches reports whether m is the message FindSent looks for.
func (c *Client) matches(m openapi.ApiV2010Message, since time.Time, body string) bool {
	if m.Sid == nil || *m.Sid == "" || m.Body == nil || *m.Body != body {
		return false
	}
	if c.service != "" && m.MessagingServiceSid != nil && *m.MessagingServiceSid != "" && *m.MessagingServiceSid != c.service {
		return false
	}
	if m.DateCreated == nil {
		return false
	}
	created, err := time.Parse(time.RFC1123Z, *m.DateCreated)
	return err == nil && !created.Before(since)
}
