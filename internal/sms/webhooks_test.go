package sms

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// The seeded demo salon's customers (postgres.Seed).
const (
	maria  = "+15555550101" // booked in 2 h, marketing consent
	james  = "+15555550102" // booked in 5 h, marketing consent
	aisha  = "+15555550103" // booked in 3 days, marketing consent
	wei    = "+15555550104" // completed 1 h ago, marketing consent
	olivia = "+15555550105" // completed 2 days ago, marketing consent
	liam   = "+15555550106" // completed 2.5 h ago, no consent
	sofia  = "+15555550107" // cancelled, no consent
	noah   = "+15555550108" // booked in 20 h, opted out 7 days ago
)

// seeded is the seed's clock: an afternoon in New York, inside quiet hours'
// sending window.
var seeded = time.Date(2026, 7, 14, 18, 0, 0, 0, time.UTC)

func seed(t testing.TB, f *fixture) int64 {
	t.Helper()
	report, err := postgres.Seed(context.Background(), f.pool, seeded)
	if err != nil {
		t.Fatal(err)
	}
	return report.SalonID
}

// hooks serves the Webhooks on a test server.
func (f *fixture) hooks(t testing.TB) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	f.webhooks().Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// post sends form to pathAndQuery on srv as Twilio would, with signature
// as X-Twilio-Signature unless it is empty. It returns the status and body.
func post(t testing.TB, srv *httptest.Server, pathAndQuery string, form url.Values, signature string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+pathAndQuery, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if signature != "" {
		req.Header.Set("X-Twilio-Signature", signature)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// signed posts with Twilio's signature of the public URL.
func signed(t testing.TB, srv *httptest.Server, pathAndQuery string, form url.Values) (int, string) {
	t.Helper()
	return post(t, srv, pathAndQuery, form, twiliofake.Signature(authToken, publicBase+pathAndQuery, form))
}

func inbound(from, body string) url.Values {
	return url.Values{
		"From": {from}, "To": {"+15550001111"}, "Body": {body}, "AccountSid": {accountSID},
		"MessageSid": {"SM" + strings.Repeat("0", 32)}, "NumMedia": {"0"},
	}
}

// twimlReply is the text of the TwiML <Message>, if any.
func twimlReply(t testing.TB, body string) string {
	t.Helper()
	var r struct {
		Message string `xml:"Message"`
	}
	if err := xml.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("answer %q is not TwiML: %v", body, err)
	}
	return r.Message
}

// TestInboundStopBetweenDispatchAndSend: confirmations are dispatched, then
// a customer texts STOP before the send tasks run: nothing goes to them.
func TestInboundStopBetweenDispatchAndSend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, seeded)
	seed(t, f)
	ctx := context.Background()
	if err := f.dispatcher().DispatchConfirmations(ctx, nil, &tasksms.DispatchConfirmationsPayload{}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.pendingTaskIDs(t)); n != 3 {
		t.Fatalf("dispatch enqueued %d sends, want 3 (Maria, James, Noah)", n)
	}
	srv := f.hooks(t)
	if code, body := signed(t, srv, "/webhooks/twilio/inbound", inbound(maria, "STOP")); code != http.StatusOK || twimlReply(t, body) != "" {
		t.Fatalf("inbound STOP = %d %q, want 200 with an empty TwiML answer (Twilio confirms its own keyword)", code, body)
	}

	if _, errs := f.drain(t, f.handlers(f.sender())); len(errs) > 0 {
		t.Fatalf("send tasks failed: %v", errs)
	}
	type row struct {
		Status   outbox.Status
		Skip     string
		AtTwilio int
	}
	got := map[string]row{}
	rows, err := f.pool.Query(ctx, `SELECT to_phone, status, coalesce(skip_reason, '') FROM sms_messages`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var to string
		var r row
		if err := rows.Scan(&to, &r.Status, &r.Skip); err != nil {
			t.Fatal(err)
		}
		r.AtTwilio = len(f.fake.SentTo(to))
		got[to] = r
	}
	want := map[string]row{
		maria: {outbox.StatusSkipped, outbox.SkipOptedOut, 0},
		james: {outbox.StatusSent, "", 1},
		noah:  {outbox.StatusSkipped, outbox.SkipOptedOut, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("confirmations after the STOP (-want +got):\n%s", diff)
	}
	if n := len(f.fake.Messages()); n != 1 {
		t.Errorf("fake holds %d messages in all, want 1", n)
	}
}

// TestInboundKeywords: opt-out keywords and free text, opt-in, help, and
// chatter, each from the number of a seeded customer.
func TestInboundKeywords(t *testing.T) {
	t.Parallel()
	f := newFixture(t, seeded)
	seed(t, f)
	srv := f.hooks(t)
	ctx := context.Background()
	optedOut := func(phone string) (bool, bool) {
		t.Helper()
		out, err := f.store.IsOptedOut(ctx, phone)
		if err != nil {
			t.Fatal(err)
		}
		flagged := f.count(t, `SELECT count(*) FROM customers WHERE phone = $1 AND sms_opted_out_at IS NOT NULL`, phone) > 0
		return out, flagged
	}
	// Steps run in order: START below takes back the opt-out above it.
	tests := []struct {
		name  string
		from  string
		body  string
		out   bool   // opted out afterwards
		reply string // the TwiML message
	}{
		{"STOP keyword", maria, "STOP", true, ""},
		{"keyword in lower case with spaces", james, "  unsubscribe ", true, ""},
		{"free text", aisha, "please stop texting me", true, text.OptOutReply},
		{"free text with punctuation", wei, "No more texts, thanks!", true, text.OptOutReply},
		{"START opts back in", maria, "Start", false, ""},
		{"UNSTOP opts back in", noah, "UNSTOP", false, ""},
		{"HELP changes nothing", olivia, "HELP", false, ""},
		{"chatter changes nothing", liam, "Can I stop by at 3?", false, ""},
		{"STOP from a stranger", "+447700900123", "stop", true, ""},
	}
	for _, tt := range tests {
		code, body := signed(t, srv, "/webhooks/twilio/inbound", inbound(tt.from, tt.body))
		if code != http.StatusOK {
			t.Fatalf("%s: status %d (%s), want 200", tt.name, code, body)
		}
		if got := twimlReply(t, body); got != tt.reply {
			t.Errorf("%s: reply %q, want %q", tt.name, got, tt.reply)
		}
		out, flagged := optedOut(tt.from)
		isCustomer := tt.from != "+447700900123"
		if out != tt.out || isCustomer && flagged != tt.out {
			t.Errorf("%s: opted out %v (customer flagged %v), want %v", tt.name, out, flagged, tt.out)
		}
	}
	// Events keep the keyword, never the body.
	var keywords []string
	rows, err := f.pool.Query(ctx, `SELECT action || ':' || coalesce(body_keyword, '') FROM sms_opt_events WHERE source = 'inbound' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keywords = append(keywords, k)
	}
	want := []string{"opt_out:STOP", "opt_out:UNSUBSCRIBE", "opt_out:STOP", "opt_out:NO MORE TEXTS", "opt_in:START", "opt_in:UNSTOP", "opt_out:STOP"}
	if diff := cmp.Diff(want, keywords); diff != "" {
		t.Errorf("inbound opt events (-want +got):\n%s", diff)
	}
}

// TestWebhookSignature: a bad or missing signature is refused with 403
// and changes nothing, on both webhooks.
func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	f := newFixture(t, seeded)
	seed(t, f)
	srv := f.hooks(t)
	form := inbound(maria, "STOP")
	tests := []struct {
		name      string
		path      string
		signature string
	}{
		{"missing", "/webhooks/twilio/inbound", ""},
		{"another token", "/webhooks/twilio/inbound", twiliofake.Signature("0000feed0000feed0000feed0000feed", publicBase+"/webhooks/twilio/inbound", form)},
		{"another URL", "/webhooks/twilio/inbound", twiliofake.Signature(authToken, "http://127.0.0.1/webhooks/twilio/inbound", form)},
		{"another form", "/webhooks/twilio/inbound", twiliofake.Signature(authToken, publicBase+"/webhooks/twilio/inbound", inbound(maria, "HELLO"))},
		{"query added", "/webhooks/twilio/inbound?x=1", twiliofake.Signature(authToken, publicBase+"/webhooks/twilio/inbound", form)},
		{"status, missing", "/webhooks/twilio/status", ""},
		{"status, garbage", "/webhooks/twilio/status", "bm90IGEgc2lnbmF0dXJl"},
	}
	for _, tt := range tests {
		if code, _ := post(t, srv, tt.path, form, tt.signature); code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tt.name, code)
		}
	}
	if out, _ := f.store.IsOptedOut(context.Background(), maria); out {
		t.Error("a refused STOP opted the customer out")
	}
	if n := f.count(t, `SELECT count(*) FROM sms_opt_events`); n != 0 {
		t.Errorf("%d opt events recorded from refused requests, want 0", n)
	}
}

// TestStatusWebhook sends a message, then plays Twilio's status callbacks
// to the URL the message carried, in order: only forward moves count.
func TestStatusWebhook(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	ctx := context.Background()
	send := func(to string) (int64, string, string) {
		t.Helper()
		id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
		if err := handler(f.sender()).ProcessTask(ctx, sendTask(t, id)); err != nil {
			t.Fatal(err)
		}
		msgs := f.fake.SentTo(to)
		if len(msgs) != 1 {
			t.Fatalf("fake holds %d messages, want 1", len(msgs))
		}
		path, ok := strings.CutPrefix(msgs[0].StatusCallback, publicBase)
		if !ok {
			t.Fatalf("StatusCallback %q is not on %s", msgs[0].StatusCallback, publicBase)
		}
		return id, msgs[0].SID, path
	}
	const to = "+15555550901"
	id, sid, path := send(to)
	srv := f.hooks(t)
	callback := func(status string, code int) url.Values {
		v := url.Values{"MessageSid": {sid}, "MessageStatus": {status}, "AccountSid": {accountSID},
			"To": {to}, "From": {"+15550001111"}, "ApiVersion": {"2010-04-01"}}
		if code != 0 {
			v.Set("ErrorCode", fmt.Sprint(code))
		}
		return v
	}
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	type state struct {
		Status      outbox.Status
		DeliveredAt time.Time
		FailedAt    time.Time
		Code        int
	}
	sent := state{Status: outbox.StatusSent}
	delivered := state{Status: outbox.StatusDelivered, DeliveredAt: at(time.Minute)}
	steps := []struct {
		name      string
		now       time.Duration
		form      url.Values
		signature string // "good" for Twilio's
		code      int
		want      state
	}{
		{"bad signature", time.Minute, callback("delivered", 0), "bm90IGEgc2lnbmF0dXJl", http.StatusForbidden, sent},
		{"missing signature", time.Minute, callback("delivered", 0), "", http.StatusForbidden, sent},
		{"signed for another row", time.Minute, callback("delivered", 0),
			twiliofake.Signature(authToken, publicBase+"/webhooks/twilio/status?message_id=999", callback("delivered", 0)), http.StatusForbidden, sent},
		{"queued, behind sent", 30 * time.Second, callback("queued", 0), "good", http.StatusNoContent, sent},
		{"delivered", time.Minute, callback("delivered", 0), "good", http.StatusNoContent, delivered},
		{"sent after delivered", 2 * time.Minute, callback("sent", 0), "good", http.StatusNoContent, delivered},
		{"delivered again", 3 * time.Minute, callback("delivered", 0), "good", http.StatusNoContent, delivered},
		{"undelivered after delivered", 4 * time.Minute, callback("undelivered", 30003), "good", http.StatusNoContent, delivered},
	}
	for _, st := range steps {
		f.clock.Set(at(st.now))
		sig := st.signature
		if sig == "good" {
			sig = twiliofake.Signature(authToken, publicBase+path, st.form)
		}
		if code, body := post(t, srv, path, st.form, sig); code != st.code {
			t.Fatalf("%s: status %d (%s), want %d", st.name, code, body, st.code)
		}
		m := f.get(t, id)
		got := state{m.Status, m.DeliveredAt, m.FailedAt, m.ErrorCode}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("%s: row (-want +got):\n%s", st.name, diff)
		}
	}

	// A callback without the row in its URL is matched by SID; a failure
	// with 21610 records the opt-out.
	const other = "+15555550902"
	id2, sid2, _ := send(other)
	form := url.Values{"MessageSid": {sid2}, "MessageStatus": {"failed"}, "ErrorCode": {"21610"}, "To": {other}, "AccountSid": {accountSID}}
	if code, body := signed(t, srv, "/webhooks/twilio/status", form); code != http.StatusNoContent {
		t.Fatalf("status by SID: %d (%s), want 204", code, body)
	}
	if m := f.get(t, id2); m.Status != outbox.StatusFailed || m.ErrorCode != 21610 {
		t.Errorf("row = %s (code %d), want failed with 21610", m.Status, m.ErrorCode)
	}
	if out, _ := f.store.IsOptedOut(ctx, other); !out {
		t.Error("21610 in a status callback did not opt the number out")
	}
}

// TestStatusWebhookUnknownStatus: a status this daemon does not rank (one
// Twilio added later) is acknowledged and changes nothing; a 5xx would make
// Twilio report a failing webhook for every such callback.
func TestStatusWebhookUnknownStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550903"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	if err := handler(f.sender()).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
		t.Fatal(err)
	}
	srv := f.hooks(t)
	form := url.Values{"MessageSid": {f.fake.SentTo(to)[0].SID}, "MessageStatus": {"partially_delivered"}, "AccountSid": {accountSID}}
	path := fmt.Sprintf("/webhooks/twilio/status?message_id=%d", id)
	if code, body := signed(t, srv, path, form); code/100 != 2 {
		t.Errorf("unknown status: %d (%s), want 2xx", code, body)
	}
	if m := f.get(t, id); m.Status != outbox.StatusSent {
		t.Errorf("row = %s, want still sent", m.Status)
	}
}

// TestPublicBaseURLWithSlash: PUBLIC_BASE_URL may end in a slash (config
// accepts "https://jobs.example.com/"): the callback URL must still be
// one the webhook serves, and its signature must check.
func TestPublicBaseURLWithSlash(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	salon := f.salon(t, "Uptown", "America/New_York")
	const to = "+15555550904"
	id := f.message(t, salon, f.customer(t, salon, to, true), outbox.KindConfirmation, to)
	s := f.sender()
	s.PublicBaseURL = publicBase + "/"
	if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
		t.Fatal(err)
	}
	msg := f.fake.SentTo(to)[0]
	cb, err := url.Parse(msg.StatusCallback)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Path != "/webhooks/twilio/status" {
		t.Fatalf("StatusCallback %q: path %q, want /webhooks/twilio/status", msg.StatusCallback, cb.Path)
	}
	w := f.webhooks()
	w.PublicBaseURL = publicBase + "/"
	mux := http.NewServeMux()
	w.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	form := url.Values{"MessageSid": {msg.SID}, "MessageStatus": {"delivered"}, "AccountSid": {accountSID}}
	// Twilio signs the URL it was given, exactly.
	code, body := post(t, srv, cb.RequestURI(), form, twiliofake.Signature(authToken, msg.StatusCallback, form))
	if code != http.StatusNoContent {
		t.Fatalf("callback: %d (%s), want 204", code, body)
	}
	if m := f.get(t, id); m.Status != outbox.StatusDelivered {
		t.Errorf("row = %s, want delivered", m.Status)
	}
}
