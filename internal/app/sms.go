package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/salonworks/jobs/internal/sms"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/internal/sms/twilio"
)

// SMS is the sms queue's wiring: the handlers of its kinds, the reconciler
// and Twilio's webhooks.
type SMS struct {
	// Sender handles sms:send.
	Sender *sms.Sender
	// Dispatcher handles the three sms:dispatch_* kinds.
	Dispatcher *sms.Dispatcher
	// Reconciler settles sends whose outcome was lost.
	Reconciler *sms.Reconciler
	// Feeder hands the senders' turns to the review and marketing texts
	// waiting in line.
	Feeder *sms.Feeder
	// Webhooks serves Twilio's status and inbound callbacks.
	Webhooks *sms.Webhooks
}

// NewSMS builds the SMS provider chosen by SMS_PROVIDER and everything that
// uses it.
func NewSMS(d *Deps) (*SMS, error) {
	cfg := d.Config
	store := outbox.New(d.DB)
	client := asynq.NewClientFromRedisClient(d.Redis)
	var provider sms.Provider
	sender := "log"
	switch cfg.SMSProvider {
	case "twilio":
		c, err := twilio.New(twilio.Config{
			APIBase: cfg.TwilioAPIBase, AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken,
			MessagingServiceSID: cfg.TwilioMessagingServiceSID, From: cfg.TwilioFrom,
			TracerProvider: d.Tracing,
		})
		if err != nil {
			return nil, fmt.Errorf("twilio: %w", err)
		}
		provider = sms.Twilio{C: c}
		// The sender the client sends from: the Messaging Service when
		// there is one, else the number. A salon whose own sender is the
		// same shares its turns.
		sender = cfg.TwilioMessagingServiceSID
		if sender == "" {
			sender = cfg.TwilioFrom
		}
	default:
		provider = sms.LogProvider{Logger: d.Logger}
	}
	limiter, err := sms.NewLimiter(d.Redis, sender, cfg.SMSRatePerSecond)
	if err != nil {
		return nil, err
	}
	sm, err := sms.NewSendMetrics(d.Metrics.Registry)
	if err != nil {
		return nil, err
	}
	var already prometheus.AlreadyRegisteredError
	if err := d.Metrics.Registry.Register(sms.WaitingCollector{DB: d.DB}); err != nil && !errors.As(err, &already) {
		return nil, err
	}
	// The platform's sender, recorded on the texts of salons without one
	// of their own; none for the log.
	platform := sender
	if cfg.SMSProvider != "twilio" {
		platform = ""
	}
	s := &sms.Sender{
		Store: store, DB: d.DB, Provider: provider, Limiter: limiter, Enqueue: client, DefaultSender: platform,
		Quiet: text.QuietHours(cfg.SMSWindow()), QuietTransactional: cfg.SMSQuietHoursTransactional, PublicBaseURL: cfg.PublicBaseURL, Logger: d.Logger,
		Metrics: sm,
	}
	rm, err := sms.NewReconcileMetrics(d.Metrics.Registry)
	if err != nil {
		return nil, err
	}
	disp := &sms.Dispatcher{DB: d.DB, Store: store, Enqueue: client, Logger: d.Logger, EnqueueWorkers: 16, Lines: limiter, SendNow: s.SendRow}
	return &SMS{
		Sender:     s,
		Dispatcher: disp,
		Reconciler: &sms.Reconciler{
			Store: store, Provider: provider, Enqueue: client, Redis: d.Redis, Metrics: rm, DefaultSender: platform, Lines: limiter,
			Logger: d.Logger, Skew: 5 * time.Second, Tasks: asynq.NewInspectorFromRedisClient(d.Redis),
		},
		Feeder: &sms.Feeder{Limiter: limiter, Store: store, Enqueue: client, Logger: d.Logger.With("component", "sms-feeder"), Metrics: sm, Quiet: &s.Quiet},
		Webhooks: &sms.Webhooks{
			Store: store, AuthToken: cfg.TwilioAuthToken, PublicBaseURL: cfg.PublicBaseURL, Logger: d.Logger,
		},
	}, nil
}
