package twilio

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/salonworks/jobs/internal/redact"
	twclient "github.com/twilio/twilio-go/client"
)

// mask hides a phone number in error texts.
func mask(to string) string { return redact.Phone(to) }

// classifySend turns a failed CreateMessage into the package's error types.
// The SDK's error says little (no headers, no status when the body is not
// JSON), so the exchange supplies what was actually seen on the wire.
func (c *Client) classifySend(to string, x *exchange, err error) error {
	status, header, wrote := x.result()
	code, message, isRest := c.restError(err, to)
	switch {
	case status == 0 && !wrote:
		// Nothing left this process (dial refused, DNS, cancelled early).
		return &scrubbedError{
			msg: fmt.Sprintf("twilio send to %s: not sent: %s", mask(to), c.cause(err, to)),
			err: stripURL(err),
		}
	case status == 0:
		reason := "no answer: " + c.cause(err, to)
		if x.ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			reason = fmt.Sprintf("no answer within %s", c.timeout)
		}
		return &UnknownOutcomeError{To: mask(to), Reason: reason, Err: stripURL(err)}
	case status < 400 || status >= 500:
		reason := describe(status, code, message)
		if !isRest {
			reason = fmt.Sprintf("HTTP %d: %s", status, c.cause(err, to))
		}
		return &UnknownOutcomeError{To: mask(to), Status: status, Reason: reason, Err: stripURL(err)}
	case status == http.StatusTooManyRequests || code == CodeTooManyRequests || code == CodeQueueFull:
		return &RateLimitError{RetryAfter: retryAfter(header), Code: code, Status: status, Message: message}
	case code == CodeOptedOut:
		return &OptedOutError{Code: code, Message: message, To: mask(to)}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// Wrong credentials or a suspended account: no fault of this
		// message, so not permanent for it. It stays retryable.
		return fmt.Errorf("twilio send to %s: credentials refused: %s", mask(to), describe(status, code, message))
	default:
		return &PermanentError{Code: code, Status: status, Message: message, To: mask(to)}
	}
}

// classifyList turns a failed ListMessage into an error: a RateLimitError
// when Twilio asks to slow down, a plain error otherwise.
func (c *Client) classifyList(to string, x *exchange, err error) error {
	status, header, _ := x.result()
	code, message, isRest := c.restError(err, to)
	if status == http.StatusTooManyRequests || code == CodeTooManyRequests {
		return &RateLimitError{RetryAfter: retryAfter(header), Code: code, Status: status, Message: message}
	}
	reason := describe(status, code, message)
	if !isRest {
		reason = c.cause(err, to)
		if status != 0 {
			reason = fmt.Sprintf("HTTP %d: %s", status, reason)
		}
	}
	return &scrubbedError{
		msg: fmt.Sprintf("twilio list messages to %s: %s", mask(to), reason),
		err: stripURL(err),
	}
}

// restError extracts Twilio's error code and (scrubbed) message, if the
// answer held a Twilio error body.
func (c *Client) restError(err error, to string) (code int, message string, ok bool) {
	var rest *twclient.TwilioRestError
	if !errors.As(err, &rest) {
		return 0, "", false
	}
	return rest.Code, c.scrub(rest.Message, to), true
}

// cause renders err without the request URL (which holds the account SID
// and, for lists, the recipient) and scrubbed.
func (c *Client) cause(err error, to string) string {
	return c.scrub(stripURL(err).Error(), to)
}

// scrub removes the auth token (plain and inside a basic-auth header) and
// masks the recipient and any other phone number.
func (c *Client) scrub(s, to string) string {
	basic := base64.StdEncoding.EncodeToString([]byte(c.accountSID + ":" + c.authToken))
	for _, secret := range []string{basic, c.authToken} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	if to != "" {
		s = strings.ReplaceAll(s, to, mask(to))
		if digits := strings.TrimPrefix(to, "+"); digits != to {
			s = strings.ReplaceAll(s, digits, mask(digits))
		}
	}
	return redact.Text(s)
}

// stripURL drops the *url.Error layer net/http adds, whose text is the
// request URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return DefaultRetryAfter
}

// scrubbedError carries a cleaned-up text and the original cause, so that
// errors.Is still finds context.Canceled or a net.Error.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
