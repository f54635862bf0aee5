package twiliofake

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"
)

// routes serves the Messages resource; anything else is a Twilio 404.
func (f *Fake) routes() http.Handler {
	mux := http.NewServeMux()
	const path = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
	mux.HandleFunc("POST "+path, f.authorized(f.create))
	mux.HandleFunc("GET "+path, f.authorized(f.list))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	})
	return mux
}

// authorized checks basic auth and the account in the path as Twilio does:
// 401 with code 20003 for bad credentials, 404 for another account.
func (f *Fake) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !equal(user, f.accountSID) || !equal(pass, f.authToken) {
			w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
			writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
			return
		}
		if r.PathValue("AccountSid") != f.accountSID {
			writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
			return
		}
		next(w, r)
	}
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// create answers a send according to the recipient's script.
func (f *Fake) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Unreadable form body")
		return
	}
	m := Message{
		To:                  r.PostForm.Get("To"),
		From:                r.PostForm.Get("From"),
		MessagingServiceSID: r.PostForm.Get("MessagingServiceSid"),
		Body:                r.PostForm.Get("Body"),
		StatusCallback:      r.PostForm.Get("StatusCallback"),
	}
	switch {
	case m.To == "":
		writeError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case m.Body == "":
		writeError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case m.From == "" && m.MessagingServiceSID == "":
		writeError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	}
	m.Segments = segments(m.Body)

	step := f.nextStep(m.To)
	if step.records() {
		m = f.record(m)
	}
	switch step.kind {
	case stepAccept:
		writeJSON(w, http.StatusCreated, f.resource(m))
	case stepError:
		writeError(w, step.status, step.code, step.message)
	case stepAcceptThenFail5xx:
		writeError(w, http.StatusInternalServerError, 20500, "Internal Server Error")
	case stepHang:
		select {
		case <-time.After(step.delay):
			writeJSON(w, http.StatusCreated, f.resource(m))
		case <-r.Context().Done(): // the client gave up
		case <-f.done: // the test is over
		}
	case stepGarbled:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid": "` + m.SID[:10] + `", "status": "que`))
	case stepRateLimited:
		if step.delay > 0 {
			secs := int((step.delay + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		writeError(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
	}
}

// list answers Twilio's message list: newest first, filtered by To, From
// and DateSent, paged by PageSize and Page.
func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	flt, err := parseFilter(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, 20001, err.Error())
		return
	}
	f.mu.Lock()
	var matched []Message
	for i := len(f.messages) - 1; i >= 0; i-- { // appended in creation order
		if flt.match(f.messages[i]) {
			matched = append(matched, f.messages[i])
		}
	}
	f.mu.Unlock()

	start := min(flt.page*flt.pageSize, len(matched))
	end := min(start+flt.pageSize, len(matched))
	page := listJSON{
		Messages:     make([]messageJSON, 0, end-start),
		Page:         flt.page,
		PageSize:     flt.pageSize,
		Start:        start,
		End:          max(end-1, start),
		URI:          flt.uri(r.URL.Path, flt.page, ""),
		FirstPageURI: flt.uri(r.URL.Path, 0, ""),
	}
	for _, m := range matched[start:end] {
		page.Messages = append(page.Messages, f.resource(m))
	}
	if end < len(matched) {
		next := flt.uri(r.URL.Path, flt.page+1, "PA"+matched[end-1].SID)
		page.NextPageURI = &next
	}
	if flt.page > 0 {
		prev := flt.uri(r.URL.Path, flt.page-1, "PB"+matched[start].SID)
		page.PreviousPageURI = &prev
	}
	writeJSON(w, http.StatusOK, page)
}
