package app

import (
	"fmt"
	"net/http"

	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/email/sesevents"
)

// sesEvents builds POST /webhooks/ses over the email outbox, accepting
// SES_EVENTS_TOPIC_ARN's messages signed by a certificate from
// SES_EVENTS_CERT_HOSTS. Without a topic it is still served, refusing
// every message, so a subscription made before the variable is set fails
// visibly (403 in the SNS delivery logs) instead of with a 404.
func sesEvents(d *Deps) (func(*http.ServeMux), error) {
	hosts, err := sesevents.ParseHostPattern(d.Config.SESEventsCertHosts)
	if err != nil {
		return nil, fmt.Errorf("SES_EVENTS_CERT_HOSTS: %w", err)
	}
	m, err := sesevents.NewMetrics(d.Metrics.Registry)
	if err != nil {
		return nil, fmt.Errorf("ses events metrics: %w", err)
	}
	if d.Config.SESEventsTopicARN == "" {
		d.Logger.Warn("SES_EVENTS_TOPIC_ARN is empty: POST /webhooks/ses refuses every message, and bounces and complaints are not recorded")
	}
	h := &sesevents.Handler{
		Store:        outbox.New(d.DB),
		TopicARN:     d.Config.SESEventsTopicARN,
		Certificates: &sesevents.Certificates{Hosts: hosts, Client: sesevents.NewClient()},
		Metrics:      m,
		Logger:       d.Logger,
	}
	return h.Routes, nil
}
