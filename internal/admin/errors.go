package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/salonworks/jobs/internal/redact"
)

// readsAPI reports whether a request reads asynqmon's API: task lists,
// one task, servers, scheduler entries, queues.
func readsAPI(r *http.Request) bool {
	return safeMethod(r.Method) && strings.HasPrefix(r.URL.Path, RootPath+"/api/")
}

// maskedKeys are the JSON keys of asynqmon's answers whose values are
// free text about a task: its last error, shown as is by asynqmon outside
// the formatters' reach (Twilio's error text names the number it refused;
// a validation error quotes the reset link it refused), and, a second
// time, what the formatters rendered.
var maskedKeys = map[string]bool{"error_message": true, "payload": true, "task_payload": true, "result": true}

// payloadLookup returns the kind and raw payload of task id of queue, or
// false.
type payloadLookup func(queue, id string) (kind string, payload []byte, ok bool)

// maskTaskErrors serves r through next and masks the values of maskedKeys
// in the JSON answer: first every value of the task's own payload that
// its fields declare PII or Secret (redact.Quoted: an error quoting the
// SMS body or the reset link it refused), found through lookup, then
// phone numbers, emails, URL queries and key=value secrets.
func maskTaskErrors(w http.ResponseWriter, r *http.Request, next http.Handler, lookup payloadLookup) {
	// Headers go straight to w; only the body waits.
	buf := &bufferWriter{header: w.Header()}
	next.ServeHTTP(buf, r)
	body := buf.body.Bytes()
	if buf.code == 0 || buf.code == http.StatusOK {
		if masked, ok := maskErrorMessages(body, lookup); ok {
			body = masked
		}
	}
	w.Header().Del("Content-Length")
	if buf.code != 0 {
		w.WriteHeader(buf.code)
	}
	w.Write(body)
}

// maskErrorMessages returns b with its maskedKeys values masked, and
// whether anything changed. Numbers keep their exact text. lookup may be
// nil.
func maskErrorMessages(b []byte, lookup payloadLookup) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || !maskIn(v, lookup) {
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

// quotesPayload are the keys of a task's text that may quote its payload.
var quotesPayload = []string{"error_message", "result"}

func maskIn(v any, lookup payloadLookup) bool {
	changed := false
	switch v := v.(type) {
	case map[string]any:
		hide := quotedIn(v, lookup)
		for k, x := range v {
			if s, ok := x.(string); ok && maskedKeys[k] {
				m := s
				if hide != nil && slices.Contains(quotesPayload, k) {
					m = hide(m)
				}
				if m = redact.Text(m); m != s {
					v[k] = m
					changed = true
				}
				continue
			}
			changed = maskIn(x, lookup) || changed
		}
	case []any:
		for _, x := range v {
			changed = maskIn(x, lookup) || changed
		}
	}
	return changed
}

// quotedIn returns redact.Quoted for the task that object t describes
// (asynqmon's task JSON: "id", "queue"), when it has an error or a result
// to mask, or nil.
func quotedIn(t map[string]any, lookup payloadLookup) func(string) string {
	if lookup == nil {
		return nil
	}
	id, _ := t["id"].(string)
	queue, _ := t["queue"].(string)
	if id == "" || queue == "" {
		return nil
	}
	text := false
	for _, k := range quotesPayload {
		if s, _ := t[k].(string); s != "" {
			text = true
		}
	}
	if !text {
		return nil
	}
	kind, payload, ok := lookup(queue, id)
	if !ok {
		// The task is gone, so its payload cannot be known: hide the text.
		return func(string) string { return "[hidden: the task is gone, its payload cannot be checked]" }
	}
	return redact.Quoted(kind, payload)
}
