package sync

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks/internal/check"
)

// KindAPICall is the wire name of the API call task: never rename it.
const KindAPICall = "sync:api_call"

// MaxPathBytes bounds the path of an API call.
const MaxPathBytes = 2000

// Methods lists the HTTP methods an API call may use, upper case.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// APICallPayload asks for one authenticated call to the platform API. The
// worker prefixes Path with API_BASE_URL, so a payload can only reach that
// API: Path is never a full URL.
type APICallPayload struct {
	// Method is the HTTP method, one of Methods.
	Method string `json:"method" class:"plain" jsonschema:"enum=GET,enum=POST,enum=PUT,enum=PATCH,enum=DELETE" jsonschema_description:"HTTP method."`
	// Path is the request path below API_BASE_URL, with an optional query
	// string: it starts with one "/", holds no ".." segment, no whitespace
	// or control character, and is at most MaxPathBytes long.
	Path string `json:"path" class:"plain" jsonschema:"minLength=1,maxLength=2000,pattern=^/([^/\\\\\\x00-\\x20\\x7f][^\\\\\\x00-\\x20\\x7f]*)?$" jsonschema_description:"Request path below the API base URL, with an optional query string; starts with a single slash and holds no '..' segment."`
	// Body is the JSON request body; not allowed with GET or DELETE.
	Body json.RawMessage `json:"body,omitempty" class:"secret" jsonschema_description:"JSON request body; not allowed with GET or DELETE."`
}

// Validate reports every problem of the payload in one
// *tasks.ValidationError, or nil.
func (p APICallPayload) Validate() error {
	c := check.New(KindAPICall)
	switch {
	case p.Method == "":
		c.Add("method", "is required")
	case !slices.Contains(Methods, p.Method):
		c.Add("method", "%s is not one of %s", check.Quote(p.Method), strings.Join(Methods, ", "))
	}
	if problem := pathProblem(p.Path); problem != "" {
		c.Add("path", "%s", problem)
	}
	if len(p.Body) > 0 {
		switch {
		case p.Method == "GET" || p.Method == "DELETE":
			c.Add("body", "is not allowed with %s", p.Method)
		case !json.Valid(p.Body):
			c.Add("body", "is not valid JSON")
		}
	}
	return c.Err()
}

// pathProblem returns what is wrong with an API path, or "".
func pathProblem(path string) string {
	q := check.Quote(path)
	switch {
	case path == "":
		return "is required"
	case len(path) > MaxPathBytes:
		return "is longer than 2000 bytes"
	case strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || unicode.IsSpace(r) || unicode.IsControl(r) }):
		return q + " must not contain spaces, line breaks or control characters"
	case strings.ContainsRune(path, '\\'):
		return q + " must not contain a backslash"
	case !strings.HasPrefix(path, "/"):
		return q + " must start with \"/\""
	case strings.HasPrefix(path, "//"):
		return q + " must not start with \"//\" (it would name a host)"
	}
	u, err := url.Parse(path)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return q + " is not a valid path"
	}
	if u.Fragment != "" || strings.Contains(path, "#") {
		return q + " must not carry a fragment"
	}
	// u.Path is decoded, so "%2e%2e" is caught too.
	if slices.Contains(strings.Split(u.Path, "/"), "..") {
		return q + " must not contain a \"..\" segment"
	}
	return ""
}

// NewAPICallTask returns the task to enqueue, with the sync queue's
// options followed by opts.
func NewAPICallTask(p APICallPayload, opts ...asynq.Option) (*asynq.Task, error) {
	return check.Task(KindAPICall, queues.Sync, p, opts)
}
