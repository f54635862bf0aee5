// Package ops is the operations view beside asynqmon: server-rendered
// pages (html/template) for what lies behind the tasks, each at a path
// operators bookmark under /admin/ops, with a landing page at /admin:
//
//	/admin/ops/campaigns     campaigns: status, outbox counts, quiet-hours waits, rate, finish; pause, resume, cancel
//	/admin/ops/sms           texts ended unknown or failed; mark sent or failed, requeue a safe one
//	/admin/ops/emails        emails that failed, outcome unknown first; requeue one
//	/admin/ops/dead-letters  entries of jobs:ingest:dead; replay or delete one
//	/admin/ops/schedules     schedule entries, next runs, last tick and its outcome, the leader
//
// Authentication, roles, the same-origin check and the audit line are the
// dashboard's (package admin), which calls Handler.Serve only for a signed
// in user and only lets an admin's same-origin request through to an
// action. The pages read and write Postgres and Redis with their own small
// queries, each bounded by an index and a LIMIT; every value shown goes
// through internal/redact.
package ops

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/clock"
)

// Path is where the pages live; Landing is the page linking them and the
// dashboard.
const (
	Path    = "/admin/ops"
	Landing = "/admin"
)

// rowLimit bounds every list a page shows.
const rowLimit = 100

// Config configures a Handler.
type Config struct {
	// DB holds the outboxes and campaigns; nil leaves the pages that need
	// it saying so.
	DB *pgxpool.Pool
	// Redis holds the queues, the ingest streams and the scheduler's keys.
	Redis redis.UniversalClient
	// QueuesPath is where asynqmon is mounted, for links to tasks.
	QueuesPath string
	// Logger receives one line per action, beside the dashboard's audit.
	Logger *slog.Logger
	// Clock stamps actions and ages; nil is the wall clock.
	Clock clock.Clock
}

// Handler serves the pages.
type Handler struct {
	cfg    Config
	insp   *asynq.Inspector
	client *asynq.Client
	pages  map[string]*template.Template
}

// New builds the pages' handler over cfg's connections; it opens none of
// its own but asynq's inspector and client, which reuse cfg.Redis.
func New(cfg Config) (*Handler, error) {
	if cfg.Redis == nil || cfg.Logger == nil {
		return nil, errors.New("ops: Config.Redis and Config.Logger are required")
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Handler{
		cfg:    cfg,
		insp:   asynq.NewInspectorFromRedisClient(cfg.Redis),
		client: asynq.NewClientFromRedisClient(cfg.Redis),
		pages:  pages,
	}, nil
}

// Close releases the inspector and the client (not cfg.Redis).
func (h *Handler) Close() error { return errors.Join(h.insp.Close(), h.client.Close()) }

// CSP is the Content-Security-Policy of the pages: no script at all,
// inline styles, and forms that post only to this origin.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; " +
	"base-uri 'none'; frame-ancestors 'none'"

// Owns reports whether path is one of the pages.
func Owns(path string) bool {
	return path == Landing || path == Landing+"/" || path == Path || strings.HasPrefix(path, Path+"/")
}

// User is who is signed in, as the dashboard authenticated them.
type User struct {
	Name string
	// CanAct is true for admins: the pages show them the actions.
	CanAct bool
}

// Serve answers one request for user. A state-changing request reaches
// it only after the dashboard's role and origin checks; GETs only read.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, u User) {
	w.Header().Set("Content-Security-Policy", CSP)
	p := strings.TrimSuffix(r.URL.Path, "/")
	read := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case p == Landing || p == Path:
		if !read {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.landing(w, r, u)
	case p == Path+"/campaigns":
		h.page(w, r, u, read, h.campaigns, h.campaignAction)
	case p == Path+"/sms":
		h.page(w, r, u, read, h.texts, h.textAction)
	case p == Path+"/emails":
		h.page(w, r, u, read, h.emails, h.emailAction)
	case p == Path+"/dead-letters":
		h.page(w, r, u, read, h.deadLetters, h.deadLetterAction)
	case p == Path+"/schedules":
		if !read {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.schedules(w, r, u)
	default:
		http.NotFound(w, r)
	}
}

// view renders a page; act performs a form's action and returns the
// message to show, or an error to show as a failure.
type (
	view   func(w http.ResponseWriter, r *http.Request, u User)
	action func(ctx context.Context, form url.Values, u User) (string, error)
)

// errConflict marks an action refused because the row or entry is no
// longer where the page showed it (another operator, the worker): 409.
var errConflict = errors.New("conflict")

// errBadRequest marks an action whose form makes no sense: 400.
var errBadRequest = errors.New("bad request")

func (h *Handler) page(w http.ResponseWriter, r *http.Request, u User, read bool, v view, act action) {
	if read {
		v(w, r, u)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !u.CanAct {
		// The dashboard refuses viewers first; this is the second lock.
		http.Error(w, "your role may only look; ask an admin", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	msg, err := act(r.Context(), r.PostForm, u)
	status := http.StatusSeeOther
	switch {
	case errors.Is(err, errBadRequest):
		status = http.StatusBadRequest
	case errors.Is(err, errConflict):
		status = http.StatusConflict
	case err != nil:
		status = http.StatusInternalServerError
	}
	attrs := []any{"user", u.Name, "path", r.URL.Path, "form_action", r.PostForm.Get("action"), "id", r.PostForm.Get("id"), "status", status}
	if err != nil {
		h.cfg.Logger.Warn("ops action refused", append(attrs, "err", err)...)
		http.Error(w, err.Error(), status)
		return
	}
	h.cfg.Logger.Info("ops action", append(attrs, "result", msg)...)
	// Back to the page, its filters kept, with what happened.
	back := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "done" {
			back[k] = v
		}
	}
	back.Set("done", msg)
	http.Redirect(w, r, r.URL.Path+"?"+back.Encode(), status)
}

// now is the handler's clock.
func (h *Handler) now() time.Time { return h.cfg.Clock.Now() }

// needDB answers 503 when no database is configured.
func (h *Handler) needDB(w http.ResponseWriter) bool {
	if h.cfg.DB == nil {
		http.Error(w, "this page needs the database (DATABASE_URL), which this process was not given", http.StatusServiceUnavailable)
		return false
	}
	return true
}

// taskLink is the asynqmon page of a task.
func (h *Handler) taskLink(queue, id string) string {
	return h.cfg.QueuesPath + "/queues/" + url.PathEscape(queue) + "/tasks/" + url.PathEscape(id)
}

// pageData is what every page's template gets.
type pageData struct {
	Title  string
	Path   string
	User   User
	Done   string
	Now    time.Time
	Queues string
	Data   any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, u User, name, title string, data any) {
	t, ok := h.pages[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := t.ExecuteTemplate(w, "layout", pageData{
		Title: title, Path: r.URL.Path, User: u, Done: r.URL.Query().Get("done"),
		Now: h.now(), Queues: h.cfg.QueuesPath, Data: data,
	})
	if err != nil {
		h.cfg.Logger.Error("ops: render page", "page", name, "err", err)
	}
}

//go:embed templates/*.html
var templateFS embed.FS

var funcs = template.FuncMap{
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	},
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return humanDuration(now.Sub(t)) + " ago"
	},
	"in": func(now, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		if d := t.Sub(now); d > 0 {
			return "in " + humanDuration(d)
		}
		return humanDuration(now.Sub(t)) + " ago"
	},
	"utc": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
}

// parsePages parses each page with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, e := range names {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("ops: parse %s: %w", e.Name(), err)
		}
		pages[name] = t
	}
	return pages, nil
}

// humanDuration rounds d for a person: 42s, 5m, 3h10m, 2d4h.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}
