package twiliofake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// messageJSON is Twilio's message resource as the 2010-04-01 API renders
// it: numbers as strings, dates in RFC 2822, absent values as null.
type messageJSON struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                *string           `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

// listJSON is Twilio's page of messages.
type listJSON struct {
	End             int           `json:"end"`
	FirstPageURI    string        `json:"first_page_uri"`
	Messages        []messageJSON `json:"messages"`
	NextPageURI     *string       `json:"next_page_uri"`
	Page            int           `json:"page"`
	PageSize        int           `json:"page_size"`
	PreviousPageURI *string       `json:"previous_page_uri"`
	Start           int           `json:"start"`
	URI             string        `json:"uri"`
}

// errorJSON is Twilio's error body.
type errorJSON struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// rfc2822 is the date format of Twilio's 2010-04-01 API.
const rfc2822 = time.RFC1123Z

func (f *Fake) resource(m Message) messageJSON {
	uri := fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s", f.accountSID, m.SID)
	updated := m.DateCreated
	out := messageJSON{
		AccountSID:  f.accountSID,
		APIVersion:  "2010-04-01",
		Body:        m.Body,
		DateCreated: m.DateCreated.Format(rfc2822),
		Direction:   "outbound-api",
		NumMedia:    "0",
		NumSegments: strconv.Itoa(m.Segments),
		PriceUnit:   "USD",
		SID:         m.SID,
		Status:      m.Status,
		SubresourceURIs: map[string]string{
			"media": uri + "/Media.json",
		},
		To:  m.To,
		URI: uri + ".json",
	}
	if !m.DateSent.IsZero() {
		sent := m.DateSent.Format(rfc2822)
		out.DateSent = &sent
		updated = m.DateSent
	}
	out.DateUpdated = updated.Format(rfc2822)
	if m.From != "" {
		out.From = &m.From
	}
	if m.MessagingServiceSID != "" {
		out.MessagingServiceSID = &m.MessagingServiceSID
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, errorJSON{
		Code:     code,
		Message:  message,
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		Status:   status,
	})
}

// filter holds the list endpoint's query.
type filter struct {
	to, from          string
	sentOn            time.Time // DateSent: that UTC day
	sentAfter, before time.Time // DateSent> and DateSent<, inclusive
	pageSize, page    int
}

func parseFilter(q url.Values) (filter, error) {
	flt := filter{to: q.Get("To"), from: q.Get("From"), pageSize: 50}
	for key, dst := range map[string]*time.Time{"DateSent": &flt.sentOn, "DateSent>": &flt.sentAfter, "DateSent<": &flt.before} {
		v := q.Get(key)
		if v == "" {
			continue
		}
		t, err := parseDate(v, key == "DateSent<")
		if err != nil {
			return filter{}, fmt.Errorf("invalid %s: %q", key, v)
		}
		*dst = t
	}
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return filter{}, fmt.Errorf("invalid PageSize: %q", v)
		}
		flt.pageSize = n
	}
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return filter{}, fmt.Errorf("invalid Page: %q", v)
		}
		flt.page = n
	}
	return flt, nil
}

// parseDate reads an RFC 3339 time or a YYYY-MM-DD day; a day as an upper
// bound means its last instant.
func parseDate(v string, upper bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err == nil && upper {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, err
}

func (flt filter) match(m Message) bool {
	if flt.to != "" && m.To != flt.to || flt.from != "" && m.From != flt.from {
		return false
	}
	if flt.sentOn.IsZero() && flt.sentAfter.IsZero() && flt.before.IsZero() {
		return true
	}
	// Like Twilio, a DateSent filter leaves out messages not sent yet.
	sent := m.DateSent.Truncate(time.Second)
	switch {
	case m.DateSent.IsZero():
		return false
	case !flt.sentOn.IsZero() && sent.Format(time.DateOnly) != flt.sentOn.Format(time.DateOnly):
		return false
	case !flt.sentAfter.IsZero() && sent.Before(flt.sentAfter):
		return false
	case !flt.before.IsZero() && sent.After(flt.before):
		return false
	}
	return true
}

// uri renders the page URI Twilio returns for this query.
func (flt filter) uri(path string, page int, token string) string {
	q := url.Values{}
	if flt.to != "" {
		q.Set("To", flt.to)
	}
	if flt.from != "" {
		q.Set("From", flt.from)
	}
	for key, t := range map[string]time.Time{"DateSent": flt.sentOn, "DateSent>": flt.sentAfter, "DateSent<": flt.before} {
		if !t.IsZero() {
			q.Set(key, t.UTC().Format(time.RFC3339))
		}
	}
	q.Set("PageSize", strconv.Itoa(flt.pageSize))
	q.Set("Page", strconv.Itoa(page))
	if token != "" {
		q.Set("PageToken", token)
	}
	return path + "?" + q.Encode()
}
