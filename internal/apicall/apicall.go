// Package apicall handles sync:api_call: an authenticated HTTP call to the
// platform API, the equivalent of an EventBridge ApiDestination, so a
// schedule can keep calling an existing endpoint while work moves here.
package apicall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/taskerr"
	synctasks "github.com/salonworks/jobs/tasks/sync"
)

// KeyHeader carries API_KEY on every call.
const KeyHeader = "X-Api-Key"

// Caller calls the API. The key is only ever written into the request
// header; errors name the method, path and status, never the key.
type Caller struct {
	// BaseURL is API_BASE_URL, without a trailing slash.
	BaseURL string
	// Key is API_KEY.
	Key string
	// Client makes the calls; its Timeout bounds one call.
	Client *http.Client
	// UserAgent identifies the daemon to the API.
	UserAgent string
	// Clock reads Retry-After dates; nil is the wall clock.
	Clock clock.Clock
}

// New returns a caller with a 30-second call timeout. Its client follows
// a redirect only within the API's origin: net/http would otherwise send
// X-Api-Key along to whatever host a redirect names.
func New(baseURL, key, userAgent string) *Caller {
	return &Caller{
		BaseURL:   strings.TrimRight(baseURL, "/"),
		Key:       key,
		Client:    &http.Client{Timeout: 30 * time.Second, CheckRedirect: sameOriginRedirect},
		UserAgent: userAgent,
	}
}

// Call handles one attempt of sync:api_call: it makes the call the payload
// describes, keyed for idempotency by the task's ID.
func (h *Caller) Call(ctx context.Context, _ *asynq.Task, p *synctasks.APICallPayload) error {
	if h.BaseURL == "" {
		return taskerr.Permanent("API_BASE_URL is not configured", nil)
	}
	var body io.Reader
	if len(p.Body) > 0 {
		body = bytes.NewReader(p.Body)
	}
	req, err := http.NewRequestWithContext(ctx, p.Method, h.BaseURL+p.Path, body)
	if err != nil {
		return taskerr.Permanent(fmt.Sprintf("build %s %s", p.Method, p.Path), err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(KeyHeader, h.Key)
	req.Header.Set("User-Agent", h.UserAgent)
	if id, ok := taskinfo.ID(ctx); ok {
		// The same task retried carries the same key, so the API can
		// deduplicate a call whose answer was lost.
		req.Header.Set("Idempotency-Key", id)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		// Timeouts and connection errors are worth a retry. The URL in a
		// *url.Error holds no secret (the key is a header).
		return fmt.Errorf("%s %s: %w", p.Method, p.Path, err)
	}
	defer resp.Body.Close()
	// Read past the snippet's end by the key's length, so a key that
	// straddles it is still found and masked whole.
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, int64(snippetBytes+len(h.Key))))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return h.classify(p, resp, h.redact(raw))
}

// snippetBytes bounds how much of an error answer's body an error quotes.
const snippetBytes = 512

// redact masks the key in an answer's body (an API may echo what it
// refused) and cuts the body to snippetBytes.
func (h *Caller) redact(body []byte) []byte {
	if h.Key != "" {
		body = bytes.ReplaceAll(body, []byte(h.Key), []byte("[redacted]"))
	}
	return body[:min(len(body), snippetBytes)]
}

func (h *Caller) classify(p *synctasks.APICallPayload, resp *http.Response, snippet []byte) error {
	code := resp.StatusCode
	failure := fmt.Errorf("%s %s: status %d: %s", p.Method, p.Path, code, strings.TrimSpace(string(snippet)))
	switch {
	case code < 300:
		return nil
	case code == http.StatusTooManyRequests:
		return taskerr.RateLimited(h.retryAfter(resp.Header.Get("Retry-After")), failure)
	case code >= 400 && code < 500:
		return taskerr.Permanent("api refused the call", failure)
	default:
		return failure
	}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); absent or
// unreadable, it waits 30 seconds.
func (h *Caller) retryAfter(v string) time.Duration {
	if v == "" {
		return 30 * time.Second
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return at.Sub(h.Clock.Now())
	}
	return 30 * time.Second
}

// sameOriginRedirect follows up to 10 redirects that keep the first
// request's scheme and host, and answers any other with the redirect itself
// (an error for classify), so the key never leaves the API's origin.
func sameOriginRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if first := via[0].URL; req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return http.ErrUseLastResponse
	}
	return nil
}
