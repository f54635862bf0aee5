package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/admin"
	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/sms"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/storage"
)

// Admin runs `jobs admin`: the dashboard behind ADMIN_USERS, the Twilio
// webhooks when SMS_PROVIDER=twilio (or in development), the signed links
// of STORAGE=local, health and metrics, until ctx ends.
func Admin(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	// Postgres for the Twilio webhooks, which record delivery statuses
	// and opt-outs in the outbox; the dashboard itself needs only Redis.
	d, err := Connect(ctx, cfg, logger, Needs{Postgres: true})
	if err != nil {
		return err
	}
	defer d.Close()
	users := cfg.Admins()
	if len(users) == 0 {
		logger.Warn("ADMIN_USERS is empty: nobody can sign in to the dashboard; make a hash with jobs admin hash-password")
	}
	dash, err := newDashboard(d)
	if err != nil {
		return err
	}
	defer dash.Close()
	d.Routes = append(d.Routes, dash.Register)
	if servesWebhooks(cfg) {
		// Beside /admin/, outside its basic auth: Twilio signs its
		// requests instead.
		d.Routes = append(d.Routes, twilioWebhooks(d).Routes)
	}
	if cfg.Storage == "local" {
		// The links emailed by a worker sharing the directory (compose);
		// authenticated by their signature.
		routes, err := localFiles(cfg)
		if err != nil {
			return err
		}
		d.Routes = append(d.Routes, routes)
	}
	logger.Info("dashboard serving", "path", admin.RootPath, "users", len(users), "prometheus", cfg.PrometheusURL != "", "twilio_webhooks", servesWebhooks(cfg))
	return Run(ctx, d)
}

// servesWebhooks reports whether the dashboard process takes Twilio's
// callbacks: where SMS go through Twilio, whose auth token checks them.
// In development they are served without one, refusing every callback,
// so the routes can be tried.
func servesWebhooks(cfg *config.Config) bool {
	return cfg.SMSProvider == "twilio" || cfg.Development()
}

// twilioWebhooks builds the delivery-status and inbound-message webhooks
// over the SMS outbox; they send nothing, so no provider is built.
func twilioWebhooks(d *Deps) *sms.Webhooks {
	return &sms.Webhooks{
		Store: outbox.New(d.DB), AuthToken: d.Config.TwilioAuthToken, PublicBaseURL: d.Config.PublicBaseURL, Logger: d.Logger,
	}
}

// localFiles serves the signed links of LOCAL_STORAGE_DIR.
func localFiles(cfg *config.Config) (func(*http.ServeMux), error) {
	store, err := storage.New(context.Background(), storage.Config{
		Kind: "local", LocalDir: cfg.LocalStorageDir, PublicBaseURL: publicOrigin(cfg.PublicBaseURL, cfg.HTTPAddr),
	})
	if err != nil {
		return nil, err
	}
	return storage.Routes(store), nil
}

// newDashboard builds asynqmon and the operations pages (on d.DB) behind
// ADMIN_USERS, and the queue metrics the charts read.
func newDashboard(d *Deps) (*admin.Dashboard, error) {
	cfg := d.Config
	dash, err := admin.New(admin.Config{
		Redis:         cfg.AsynqRedis(),
		Users:         cfg.Admins(),
		PrometheusURL: cfg.PrometheusURL,
		Logger:        d.Logger,
		DB:            d.DB,
	})
	if err != nil {
		return nil, err
	}
	if err := admin.RegisterChartMetrics(d.Metrics.Registry, asynq.NewInspectorFromRedisClient(d.Redis), d.Logger); err != nil {
		dash.Close()
		return nil, fmt.Errorf("chart metrics: %w", err)
	}
	return dash, nil
}
