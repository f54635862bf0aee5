package sms

import (
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/internal/sms/twilio"
)

// Webhooks serves Twilio's callbacks: POST /webhooks/twilio/status
// (delivery status, forward-only) and POST /webhooks/twilio/inbound
// (STOP, START, HELP and free-text opt-outs). Each request must carry a
// valid X-Twilio-Signature for PUBLIC_BASE_URL + its path; anything else
// gets 403.
type Webhooks struct {
	Store         *outbox.Store
	AuthToken     string
	PublicBaseURL string
	Logger        *slog.Logger
	// Clock is the time source; nil is the wall clock.
	Clock clock.Clock
}

// Routes registers the two webhooks on mux.
func (w *Webhooks) Routes(mux *http.ServeMux) {
	mux.Handle("POST /webhooks/twilio/status", w.signed(http.HandlerFunc(w.status)))
	mux.Handle("POST /webhooks/twilio/inbound", w.signed(http.HandlerFunc(w.inbound)))
}

// signed checks the request's Twilio signature against the public URL.
func (w *Webhooks) signed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(rw, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(rw, "bad form", http.StatusBadRequest)
			return
		}
		// PUBLIC_BASE_URL may end in a slash; the callback URLs do not
		// (see Sender.callbackURL).
		url := strings.TrimRight(w.PublicBaseURL, "/") + r.URL.RequestURI()
		if w.AuthToken == "" || !twilio.ValidateSignature(w.AuthToken, url, r.PostForm, r.Header.Get("X-Twilio-Signature")) {
			w.Logger.Warn("twilio webhook refused: bad or missing signature", "path", r.URL.Path, "remote", r.RemoteAddr)
			http.Error(rw, "invalid signature", http.StatusForbidden)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

func (w *Webhooks) status(rw http.ResponseWriter, r *http.Request) {
	sid, status := r.PostForm.Get("MessageSid"), r.PostForm.Get("MessageStatus")
	code, _ := strconv.Atoi(r.PostForm.Get("ErrorCode"))
	var changed bool
	var err error
	if id, perr := strconv.ParseInt(r.URL.Query().Get("message_id"), 10, 64); perr == nil {
		changed, err = w.Store.ApplyStatusByID(r.Context(), id, sid, status, code, w.Clock.Now())
	} else {
		changed, err = w.Store.ApplyStatus(r.Context(), sid, status, code, w.Clock.Now())
	}
	if errors.Is(err, outbox.ErrUnknownTwilioStatus) {
		// A status this daemon does not rank changes nothing; a 5xx would
		// only make Twilio report a failing webhook every time.
		w.Logger.Warn("twilio status not recognised, ignored", "sid", sid, "status", status)
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		w.Logger.Error("apply twilio status", "sid", sid, "status", status, "err", err)
		// 5xx makes Twilio retry the callback.
		http.Error(rw, "could not record the status", http.StatusInternalServerError)
		return
	}
	if code == twilio.CodeOptedOut {
		if err := w.Store.OptOut(r.Context(), r.PostForm.Get("To"), nil, outbox.SourceError21610, ""); err != nil {
			w.Logger.Warn("record opt-out from status callback", "err", err)
		}
	}
	w.Logger.Info("twilio status", "sid", sid, "status", status, "error_code", code, "changed", changed)
	rw.WriteHeader(http.StatusNoContent)
}

type twiml struct {
	XMLName xml.Name `xml:"Response"`
	Message string   `xml:"Message,omitempty"`
}

func (w *Webhooks) inbound(rw http.ResponseWriter, r *http.Request) {
	from, body := r.PostForm.Get("From"), r.PostForm.Get("Body")
	action, keyword := text.MatchInbound(body)
	var reply string
	var salon *int64
	var err error
	if action == text.OptOut || action == text.OptIn {
		// A salon's own sender names the salon the keyword was for; the
		// platform's is shared, and names none.
		salon, err = w.Store.SalonOfSender(r.Context(), r.PostForm.Get("To"), r.PostForm.Get("MessagingServiceSid"))
	}
	switch {
	case err != nil:
	case action == text.OptOut:
		err = w.Store.OptOut(r.Context(), from, salon, outbox.SourceInbound, keyword)
		// Twilio answers its own keywords; free text gets our confirmation.
		if !isTwilioKeyword(body) {
			reply = text.OptOutReply
		}
	case action == text.OptIn:
		err = w.Store.OptIn(r.Context(), from, salon, outbox.SourceInbound, keyword)
	}
	if err != nil {
		w.Logger.Error("record inbound sms", "from", redact.Phone(from), "action", action.String(), "err", err)
		http.Error(rw, "could not record the message", http.StatusInternalServerError)
		return
	}
	w.Logger.Info("inbound sms", "from", redact.Phone(from), "action", action.String())
	rw.Header().Set("Content-Type", "text/xml")
	_ = xml.NewEncoder(rw).Encode(twiml{Message: reply})
}

// isTwilioKeyword reports whether Twilio itself handles body (its standard
// opt-out keywords, alone).
func isTwilioKeyword(body string) bool {
	switch normalize(body) {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT":
		return true
	}
	return false
}
