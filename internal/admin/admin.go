// Package admin serves the operators' dashboard: asynqmon mounted at
// /admin/queues (its UI and its API) and the operations pages (package
// ops) at /admin and /admin/ops/, behind HTTP basic authentication
// against ADMIN_USERS. Admins get every action, viewers a read-only
// dashboard whose state-changing requests the server refuses. Failed
// logins are logged and limited per source address; a state-changing
// request must come from the dashboard's own origin; every answer carries
// security headers; payloads, results and task errors are shown with phone
// numbers and emails masked; every action is audited in the log.
//
// `jobs admin` and `jobs dev` build a Dashboard with New, add its Register
// to app.Deps.Routes beside health, metrics and the Twilio webhooks, and
// call RegisterChartMetrics for the charts.
package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/admin/ops"
	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/queueset"
)

// RootPath is where asynqmon is mounted; its API is under RootPath+"/api/".
const RootPath = "/admin/queues"

// Defaults of Config.
const (
	// DefaultFailureLimit is how many failed logins a source may make in a
	// row before it has to wait.
	DefaultFailureLimit = 10
	// DefaultFailureWindow is the time in which a source's failure budget
	// refills completely: with the default limit, one more try every 6 s.
	DefaultFailureWindow = time.Minute
)

// Config configures a Dashboard.
type Config struct {
	// Redis is the connection asynqmon opens (it keeps its own pools).
	Redis asynq.RedisConnOpt
	// Users may sign in: config.(*Config).Admins(). With none, every
	// request under /admin/ is refused.
	Users []config.AdminUser
	// PrometheusURL, when set, is where asynqmon's charts read from
	// (PROMETHEUS_URL).
	PrometheusURL string
	// Logger receives failed logins and the audit lines.
	Logger *slog.Logger
	// FailureLimit and FailureWindow bound failed logins per source;
	// DefaultFailureLimit and DefaultFailureWindow when zero.
	FailureLimit  int
	FailureWindow time.Duration
	// Clock is the time of the limiter, the login cache and the
	// operations pages; nil is the wall clock.
	Clock clock.Clock
	// DB is the database of the outboxes and campaigns, which the
	// operations pages (/admin/ops) read and act on; nil leaves those of
	// its pages that need it answering 503.
	DB *pgxpool.Pool
}

// Dashboard is the handler of the /admin/ subtree.
type Dashboard struct {
	logger         *slog.Logger
	full, readOnly *asynqmon.HTTPHandler
	// insp reads a task's raw payload, to hide its values in its error.
	insp *asynq.Inspector
	// rdb lists the catalogue's queues for asynq (queueset); listed is
	// set once that worked.
	rdb    redis.UniversalClient
	listed atomic.Bool
	// ops serves /admin and /admin/ops/.
	ops     *ops.Handler
	auth    *authenticator
	limiter *failureLimiter
	routes  *routeMatcher
	csp     string
}

var _ http.Handler = (*Dashboard)(nil)

// New builds the dashboard. It opens no connection yet: asynqmon connects
// to Redis on the first request.
func New(cfg Config) (*Dashboard, error) {
	if cfg.Redis == nil {
		return nil, errors.New("admin: Config.Redis is required")
	}
	if cfg.Logger == nil {
		return nil, errors.New("admin: Config.Logger is required")
	}
	now := cfg.Clock.Now
	limit, window := cfg.FailureLimit, cfg.FailureWindow
	if limit <= 0 {
		limit = DefaultFailureLimit
	}
	if window <= 0 {
		window = DefaultFailureWindow
	}
	auth, err := newAuthenticator(cfg.Users, now)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{
		logger:  cfg.Logger,
		auth:    auth,
		limiter: newFailureLimiter(limit, window, now),
		routes:  newRouteMatcher(ActionRoutes),
	}
	opts := asynqmon.Options{
		RootPath:          RootPath,
		RedisConnOpt:      cfg.Redis,
		PayloadFormatter:  Formatter{},
		ResultFormatter:   Formatter{},
		PrometheusAddress: cfg.PrometheusURL,
	}
	d.insp = asynq.NewInspector(cfg.Redis)
	rdb, ok := cfg.Redis.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, errors.New("admin: Config.Redis makes no go-redis client")
	}
	d.rdb = rdb
	d.ops, err = ops.New(ops.Config{DB: cfg.DB, Redis: rdb, QueuesPath: RootPath, Logger: cfg.Logger, Clock: cfg.Clock})
	if err != nil {
		return nil, err
	}
	d.full = asynqmon.New(opts)
	opts.ReadOnly = true
	d.readOnly = asynqmon.New(opts)
	if d.csp, err = buildCSP(d.full, d.readOnly); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Register adds the dashboard to mux, which serves health, metrics and
// the webhooks beside it: /admin and everything under /admin/, and nothing
// else, so that what is mounted elsewhere (the Twilio webhooks, checked by
// their signature) is not behind the dashboard's authentication. Its
// signature fits app.Deps.Routes.
func (d *Dashboard) Register(mux *http.ServeMux) {
	mux.Handle("/admin", d)
	mux.Handle("/admin/", d)
}

// Close closes asynqmon's Redis connections.
func (d *Dashboard) Close() error {
	return errors.Join(d.full.Close(), d.readOnly.Close(), d.insp.Close(), d.ops.Close(), d.rdb.Close())
}

// lookupPayload returns the kind and raw payload of a task.
func (d *Dashboard) lookupPayload(queue, id string) (string, []byte, bool) {
	info, err := d.insp.GetTaskInfo(queue, id)
	if err != nil {
		return "", nil, false
	}
	return info.Type, info.Payload, true
}

// listQueues makes asynq list every queue of the catalogue, empty ones
// too, until that has worked once: a dashboard started before any worker
// still shows every queue (the five and the internal sms_bulk).
func (d *Dashboard) listQueues(ctx context.Context) {
	if d.listed.Load() {
		return
	}
	if err := queueset.Register(ctx, d.rdb); err != nil {
		d.logger.Warn("dashboard: list the queues for asynq", "err", err)
		return
	}
	d.listed.Store(true)
}
