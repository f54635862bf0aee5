package sesevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/redact"
)

// Path is where SNS posts the SES events.
const Path = "/webhooks/ses"

// maxBody bounds a request: an SNS message is at most 256 KiB, and its
// JSON escaping inside the envelope can nearly double it.
const maxBody = 1 << 20

// MaxAge is the oldest notification accepted (by its SNS Timestamp). It
// is below outbox.NotificationRetention, so a replay is either refused as
// too old or found among the notifications already applied.
const MaxAge = 7 * 24 * time.Hour

// Feedback is what the handler needs of the outbox; *outbox.Store is one.
type Feedback interface {
	RecordFeedback(ctx context.Context, f outbox.Feedback) (outbox.FeedbackResult, error)
}

// Handler serves POST /webhooks/ses. Store, Certificates and Metrics are
// required.
type Handler struct {
	Store Feedback
	// TopicARN is the only topic accepted (SES_EVENTS_TOPIC_ARN); empty
	// refuses every message.
	TopicARN string
	// Certificates fetches signing certificates; its Hosts and Client
	// also govern subscription confirmations.
	Certificates *Certificates
	Metrics      *Metrics
	// Logger receives refusals and confirmations; nil discards them.
	// Addresses and message bodies are never logged.
	Logger *slog.Logger
	// Clock judges a message's age; nil is the wall clock.
	Clock clock.Clock
}

// Routes registers the webhook on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.Handle("POST "+Path, h)
}

// ServeHTTP answers one SNS delivery: 200 once applied (or already),
// 400 for a body that is not an SNS message, 403 for any message it must
// not act on, 503 when Amazon's certificate or the database is out of
// reach (SNS retries).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, "bad_request", "body over 1 MiB")
			return
		}
		h.refuse(w, r, http.StatusBadRequest, "bad_request", "body unreadable")
		return
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		h.refuse(w, r, http.StatusBadRequest, "bad_request", "body is not an SNS message (JSON)")
		return
	}
	if err := h.verify(r.Context(), &env); err != nil {
		h.refuseErr(w, r, err)
		return
	}
	switch env.Type {
	case TypeSubscriptionConfirmation:
		h.confirm(w, r, &env)
	case TypeUnsubscribeConfirmation:
		h.log().Warn("SES events topic unsubscribed this endpoint; resubscribe it to keep receiving bounces", "topic", env.TopicArn, "sns_message_id", env.MessageID)
		w.WriteHeader(http.StatusOK)
	default:
		h.notification(w, r, &env)
	}
}

// refusal is a verification failure: the status to answer and the
// reason to count.
type refusal struct {
	status int
	reason string
	err    error
}

func (e *refusal) Error() string { return e.err.Error() }
func (e *refusal) Unwrap() error { return e.err }

// verify accepts env only from the configured topic, signed with a
// certificate of an allowed host, and not older than MaxAge. The cheap
// checks come first, so a forged message never makes the daemon fetch
// anything.
func (h *Handler) verify(ctx context.Context, env *Envelope) error {
	switch env.Type {
	case TypeNotification, TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
	default:
		return &refusal{http.StatusForbidden, "wrong_type", fmt.Errorf("message type %q", env.Type)}
	}
	if h.TopicARN == "" || env.TopicArn != h.TopicARN {
		return &refusal{http.StatusForbidden, "wrong_topic", fmt.Errorf("topic %q is not SES_EVENTS_TOPIC_ARN", env.TopicArn)}
	}
	if env.MessageID == "" {
		return &refusal{http.StatusForbidden, "bad_request", errors.New("no MessageId")}
	}
	if env.SignatureVersion != "1" && env.SignatureVersion != "2" {
		return &refusal{http.StatusForbidden, "signature", fmt.Errorf("signature version %q", env.SignatureVersion)}
	}
	if _, err := h.Certificates.Hosts.CheckURL(env.SigningCertURL); err != nil {
		return &refusal{http.StatusForbidden, "certificate_url", fmt.Errorf("signing certificate URL: %w", err)}
	}
	key, err := h.Certificates.Key(ctx, env.SigningCertURL)
	if errors.Is(err, ErrUnavailable) {
		return &refusal{http.StatusServiceUnavailable, "certificate_unavailable", err}
	}
	if err != nil {
		return &refusal{http.StatusForbidden, "certificate", err}
	}
	if err := env.Verify(key); err != nil {
		return &refusal{http.StatusForbidden, "signature", err}
	}
	at, err := env.Time()
	if err != nil {
		return &refusal{http.StatusForbidden, "bad_request", err}
	}
	if age := h.Clock.Now().Sub(at); age > MaxAge {
		return &refusal{http.StatusForbidden, "too_old", fmt.Errorf("message is %s old, over %s", age.Round(time.Second), MaxAge)}
	}
	return nil
}

// confirm subscribes the endpoint to the configured topic (verify has
// checked it is that topic) by fetching SubscribeURL, itself on an
// allowed host.
func (h *Handler) confirm(w http.ResponseWriter, r *http.Request, env *Envelope) {
	u, err := h.Certificates.Hosts.CheckURL(env.SubscribeURL)
	if err != nil {
		h.refuse(w, r, http.StatusForbidden, "subscribe_url", "SubscribeURL: "+err.Error())
		return
	}
	client := h.Certificates.Client
	if client == nil {
		client = NewClient()
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err == nil {
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
	}
	if err != nil {
		// The token in the URL is not logged: it confirms the
		// subscription for whoever holds it.
		h.log().Error("SES events subscription not confirmed", "topic", env.TopicArn, "host", u.Host, "err", errMessage(err))
		http.Error(w, "subscription not confirmed", http.StatusBadGateway)
		return
	}
	h.log().Info("SES events subscription confirmed", "topic", env.TopicArn)
	w.WriteHeader(http.StatusOK)
}

// notification applies one verified SES event to the outbox.
func (h *Handler) notification(w http.ResponseWriter, r *http.Request, env *Envelope) {
	at, _ := env.Time()
	f, ok, err := feedback(env.MessageID, env.Message, at)
	if err != nil {
		// Signed by our topic yet unreadable: SNS would resend it as is,
		// so it is answered 400 and counted, not retried.
		h.refuse(w, r, http.StatusBadRequest, "unreadable", "notification: "+err.Error())
		return
	}
	if !ok {
		h.Metrics.Events.WithLabelValues("other", "ignored").Inc()
		w.WriteHeader(http.StatusOK)
		return
	}
	res, err := h.Store.RecordFeedback(r.Context(), f)
	if err != nil {
		h.log().Error("SES event not recorded; SNS will retry", "event", string(f.Event), "sns_message_id", env.MessageID, "err", errMessage(err))
		http.Error(w, "not recorded, retry", http.StatusServiceUnavailable)
		return
	}
	h.Metrics.Events.WithLabelValues(string(f.Event), string(res.Outcome)).Inc()
	if res.Suppressed != "" {
		// The row id leads an operator to the address; the address
		// itself stays out of the log.
		h.log().Info("email address suppressed after an SES event", "email_id", res.MessageID, "event", string(f.Event), "reason", res.Suppressed)
	}
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) refuseErr(w http.ResponseWriter, r *http.Request, err error) {
	var rf *refusal
	if !errors.As(err, &rf) {
		rf = &refusal{http.StatusForbidden, "signature", err}
	}
	h.refuse(w, r, rf.status, rf.reason, rf.Error())
}

// refuse answers status, counts reason and logs why. msg names fields and
// hosts, never a body or an address.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, reason, msg string) {
	h.Metrics.Refused.WithLabelValues(reason).Inc()
	h.log().Warn("SES events webhook refused a request", "status", status, "reason", reason, "detail", errMessage(errors.New(msg)), "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(status)+": "+msg, status)
}

func (h *Handler) log() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// errMessage cuts an error to a log line's worth, any address or phone
// number in it masked.
func errMessage(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return redact.Text(strings.ToValidUTF8(s, ""))
}
