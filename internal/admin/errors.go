package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/salonworks/jobs/internal/redact"
)

// readsTasks reports whether a GET returns tasks with their last error:
// the task lists (".../pending_tasks", ".../archived_tasks", ...) and one
// task (".../tasks/{task_id}").
func readsTasks(r *http.Request) bool {
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, RootPath+"/api/queues/") {
		return false
	}
	return strings.HasSuffix(r.URL.Path, "_tasks") || strings.Contains(r.URL.Path, "/tasks/")
}

// maskTaskErrors serves r through next and masks phone numbers and emails
// in every "error_message" of the JSON answer. A task's last error is
// shown as is by asynqmon, outside the payload formatter's reach, and may
// quote a recipient: Twilio's error text names the number it refused.
func maskTaskErrors(w http.ResponseWriter, r *http.Request, next http.Handler) {
	// Headers go straight to w; only the body waits.
	buf := &bufferWriter{header: w.Header()}
	next.ServeHTTP(buf, r)
	body := buf.body.Bytes()
	if buf.code == 0 || buf.code == http.StatusOK {
		if masked, ok := maskErrorMessages(body); ok {
			body = masked
		}
	}
	w.Header().Del("Content-Length")
	if buf.code != 0 {
		w.WriteHeader(buf.code)
	}
	w.Write(body)
}

// maskErrorMessages returns b with its error_message values masked, and
// whether anything changed. Numbers keep their exact text.
func maskErrorMessages(b []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || !maskIn(v) {
		return b, false
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return b, false
	}
	return out.Bytes(), true
}

func maskIn(v any) bool {
	changed := false
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "error_message" {
				if m := redact.Text(s); m != s {
					v[k] = m
					changed = true
				}
				continue
			}
			changed = maskIn(x) || changed
		}
	case []any:
		for _, x := range v {
			changed = maskIn(x) || changed
		}
	}
	return changed
}
