package app

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/email"
	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/queues"
)

// Email is the emails queue's wiring.
type Email struct {
	// Sender handles email:send.
	Sender *email.Sender
	// Sweeper fails rows left in "sending" by a worker that died.
	Sweeper *email.Sweeper
}

// devFrom is the sender when EMAIL_FROM is unset (EMAIL_PROVIDER=log).
const devFrom = "Salonworks <no-reply@localhost>"

// NewEmail builds the provider chosen by EMAIL_PROVIDER (ses, or log) and
// the email:send handler.
func NewEmail(d *Deps) (*Email, error) {
	cfg := d.Config
	renderer, err := email.NewRenderer()
	if err != nil {
		return nil, err
	}
	m, err := email.NewMetrics(d.Metrics.Registry)
	if err != nil {
		return nil, fmt.Errorf("email metrics: %w", err)
	}
	raw := cfg.EmailFrom
	if raw == "" {
		raw = devFrom
	}
	from, err := email.FormatFrom(raw)
	if err != nil {
		return nil, err
	}
	var provider email.Provider = email.LogProvider{Logger: d.Logger}
	if cfg.EmailProvider == "ses" {
		// Region and credentials: the AWS SDK's chain (AWS_REGION, the ECS
		// task role). Nothing is fetched until the first email.
		ses, err := email.NewSES(context.Background(), email.SESConfig{
			Endpoint: cfg.SESEndpoint, ConfigurationSet: cfg.SESConfigurationSet,
			TracerProvider: d.Tracing,
		})
		if err != nil {
			return nil, err
		}
		provider = ses
	}
	store := outbox.New(d.DB)
	h := &email.Sender{
		Store: store, Provider: provider, Renderer: renderer,
		Pauser: asynq.NewInspectorFromRedisClient(d.Redis), Queue: queues.Emails,
		Metrics: m, Logger: d.Logger, From: from,
	}
	return &Email{
		Sender:  h,
		Sweeper: &email.Sweeper{Store: store, Logger: d.Logger},
	}, nil
}
