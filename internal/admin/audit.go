package admin

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/salonworks/jobs/internal/admin/ops"
	"github.com/salonworks/jobs/internal/config"
)

// maxAuditBody bounds how much of a batch request's body is read to name
// its task IDs; asynqmon itself refuses bodies over 1 MB.
const maxAuditBody = 1 << 20

// audit logs one line for a state-changing request once it is answered:
// who (user, role, source), what (the route template, queue, group, task
// IDs) and how it ended (status), refusals included. Reads are not logged.
func (d *Dashboard) audit(w http.ResponseWriter, r *http.Request, u config.AdminUser, next http.Handler) {
	rel := strings.TrimPrefix(r.URL.Path, RootPath)
	attrs := []slog.Attr{
		slog.String("user", u.Name),
		slog.String("role", u.Role),
		slog.String("source", clientAddr(r).String()),
	}
	route, vars, ok := d.routes.match(r.Method, rel)
	if ok {
		attrs = append(attrs, slog.String("action", route.String()))
	} else {
		attrs = append(attrs, slog.String("action", r.Method+" "+rel))
	}
	for _, v := range []struct{ key, name string }{{"queue", "qname"}, {"group", "gname"}, {"task_id", "task_id"}} {
		if s, ok := vars[v.name]; ok {
			attrs = append(attrs, slog.String(v.key, s))
		}
	}
	if ok && strings.Contains(route.Template, ":batch_") {
		if ids := peekTaskIDs(r); len(ids) > 0 {
			attrs = append(attrs, slog.Any("task_ids", ids))
		}
	}
	if ops.Owns(r.URL.Path) {
		// The operations pages name the action and its target in the
		// form; ParseForm keeps it for the page.
		r.Body = http.MaxBytesReader(w, r.Body, maxAuditBody)
		if r.ParseForm() == nil {
			attrs = append(attrs, slog.String("ops_action", r.PostForm.Get("action")), slog.String("target", r.PostForm.Get("id")))
		}
	}
	rec := &statusWriter{ResponseWriter: w}
	next.ServeHTTP(rec, r)
	attrs = append(attrs, slog.Int("status", rec.status()))
	d.logger.LogAttrs(r.Context(), slog.LevelInfo, "dashboard action", attrs...)
}

// peekTaskIDs reads the task_ids of a batch request's JSON body and puts
// the body back for asynqmon.
func peekTaskIDs(r *http.Request) []string {
	if r.Body == nil {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAuditBody))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	if err != nil {
		return nil
	}
	var req struct {
		TaskIDs []string `json:"task_ids"`
	}
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	return req.TaskIDs
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
