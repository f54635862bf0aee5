package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/admin/admintest"
)

func TestAdminActsOnRealTasks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, admintest.Small)
	archived := func(q string, i int) string { return admintest.TaskID(q, "archived", i) }
	tests := []struct {
		name, method, path, body string
		want                     int
		// check looks at Redis afterwards.
		check func(t *testing.T)
		// audit is what the action's log line must hold.
		audit map[string]any
	}{
		{
			name: "pause a queue", method: "POST", path: "/api/queues/uploads:pause", want: http.StatusNoContent,
			check: func(t *testing.T) {
				if info, err := f.insp.GetQueueInfo("uploads"); err != nil || !info.Paused {
					t.Errorf("uploads paused = %v (err %v), want true", info != nil && info.Paused, err)
				}
			},
			audit: map[string]any{"action": "POST /api/queues/{qname}:pause", "queue": "uploads"},
		},
		{
			name: "resume it", method: "POST", path: "/api/queues/uploads:resume", want: http.StatusNoContent,
			check: func(t *testing.T) {
				if info, err := f.insp.GetQueueInfo("uploads"); err != nil || info.Paused {
					t.Errorf("uploads still paused (err %v)", err)
				}
			},
			audit: map[string]any{"action": "POST /api/queues/{qname}:resume", "queue": "uploads"},
		},
		{
			name: "delete an archived task", method: "DELETE", path: "/api/queues/sms/archived_tasks/" + archived("sms", 0), want: http.StatusNoContent,
			check: func(t *testing.T) {
				if _, err := f.insp.GetTaskInfo("sms", archived("sms", 0)); !errors.Is(err, asynq.ErrTaskNotFound) {
					t.Errorf("task after delete: err = %v, want ErrTaskNotFound", err)
				}
			},
			audit: map[string]any{"action": "DELETE /api/queues/{qname}/archived_tasks/{task_id}", "queue": "sms", "task_id": archived("sms", 0)},
		},
		{
			name: "run an archived task", method: "POST", path: "/api/queues/sms/archived_tasks/" + archived("sms", 1) + ":run", want: http.StatusNoContent,
			check: func(t *testing.T) {
				info, err := f.insp.GetTaskInfo("sms", archived("sms", 1))
				if err != nil || info.State != asynq.TaskStatePending {
					t.Errorf("task after run: %v (err %v), want pending", info, err)
				}
			},
			audit: map[string]any{"action": "POST /api/queues/{qname}/archived_tasks/{task_id}:run", "queue": "sms", "task_id": archived("sms", 1)},
		},
		{
			name: "batch delete archived tasks", method: "POST", path: "/api/queues/emails/archived_tasks:batch_delete",
			body: `{"task_ids":["` + archived("emails", 0) + `","` + archived("emails", 1) + `"]}`, want: http.StatusOK,
			check: func(t *testing.T) {
				if info, err := f.insp.GetQueueInfo("emails"); err != nil || info.Archived != 0 {
					t.Errorf("emails archived = %d (err %v), want 0", info.Archived, err)
				}
			},
			audit: map[string]any{"action": "POST /api/queues/{qname}/archived_tasks:batch_delete", "queue": "emails",
				"task_ids": []any{archived("emails", 0), archived("emails", 1)}},
		},
		{
			name: "archive a pending task", method: "POST", path: "/api/queues/reports/pending_tasks/" + admintest.TaskID("reports", "pending", 0) + ":archive", want: http.StatusNoContent,
			check: func(t *testing.T) {
				info, err := f.insp.GetTaskInfo("reports", admintest.TaskID("reports", "pending", 0))
				if err != nil || info.State != asynq.TaskStateArchived {
					t.Errorf("task after archive: %v (err %v), want archived", info, err)
				}
			},
			audit: map[string]any{"action": "POST /api/queues/{qname}/pending_tasks/{task_id}:archive", "queue": "reports"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.do(t, req{method: tt.method, path: RootPath + tt.path, body: tt.body,
				user: adminName, pass: adminPass, header: f.sameOriginHeaders()})
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d; body %.300q", resp.StatusCode, tt.want, body)
			}
			tt.check(t)
			line := auditLine(t, f.logs.String(), tt.audit["action"].(string))
			want := map[string]any{"user": adminName, "role": "admin", "status": float64(tt.want)}
			for k, v := range tt.audit {
				want[k] = v
			}
			for k, v := range want {
				if got, _ := json.Marshal(line[k]); string(got) != mustJSON(t, v) {
					t.Errorf("audit %s = %s, want %s", k, got, mustJSON(t, v))
				}
			}
		})
	}
}

// auditLine returns the last audit line of action in a JSON log.
func auditLine(t *testing.T, logs, action string) map[string]any {
	t.Helper()
	var found map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "dashboard action" && m["action"] == action {
			found = m
		}
	}
	if found == nil {
		t.Fatalf("no audit line for %q in:\n%s", action, logs)
	}
	return found
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDashboardShowsPayloadsMasked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, admintest.Small)
	tests := []struct {
		name, path  string
		raw, masked []string
	}{
		{"sms pending list", "/api/queues/sms/pending_tasks",
			[]string{admintest.Phone(0), admintest.Phone(1)}, []string{`+1********00`, `+1********01`}},
		{"email archived list", "/api/queues/emails/archived_tasks",
			[]string{admintest.Email(0)}, []string{`c***@example.com`}},
		{"one task", "/api/queues/sms/tasks/" + url.PathEscape(admintest.TaskID("sms", "scheduled", 0)),
			[]string{admintest.Phone(0)}, []string{`+1********00`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, u := range []struct{ name, pass string }{{adminName, adminPass}, {viewerName, viewerPass}} {
				resp, body := f.do(t, req{method: "GET", path: RootPath + tt.path, user: u.name, pass: u.pass})
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: status %d; body %.300q", u.name, resp.StatusCode, body)
				}
				for _, raw := range tt.raw {
					if strings.Contains(body, raw) {
						t.Errorf("%s: %q shown unmasked in %s", u.name, raw, body)
					}
				}
				for _, m := range tt.masked {
					if !strings.Contains(body, m) {
						t.Errorf("%s: masked %q not in %s", u.name, m, body)
					}
				}
			}
		})
	}
}
