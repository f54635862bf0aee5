package twiliofake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	twclient "github.com/twilio/twilio-go/client"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "f00dfeedf00dfeedf00dfeedf00dfeed"
)

// post sends a message straight to the fake, as Twilio's API expects it.
func post(t *testing.T, f *twiliofake.Fake, user, pass string, form url.Values) *http.Response {
	t.Helper()
	resp, err := send(f, user, pass, form)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func send(f *twiliofake.Fake, user, pass string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, f.URL()+"/2010-04-01/Accounts/"+accountSID+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	return http.DefaultClient.Do(req)
}

func TestSignMatchesTwilioValidator(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	const hook = "https://jobs.example.com/webhooks/twilio/inbound?salon=7"
	form := url.Values{"From": {"+15555550123"}, "Body": {"STOP"}, "MessageSid": {"SM1"}, "AccountSid": {accountSID}}
	params := map[string]string{}
	for k, v := range form {
		params[k] = v[0]
	}
	v := twclient.NewRequestValidator(authToken)
	if !v.Validate(hook, params, f.Sign(hook, form)) {
		t.Error("twilio-go's validator refuses the fake's signature")
	}
	if v.Validate(hook, params, twiliofake.Signature("other", hook, form)) {
		t.Error("twilio-go's validator accepts a signature made with another token")
	}
}

func TestAuthAndAccount(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	form := url.Values{"To": {"+15555550123"}, "From": {"+15550001111"}, "Body": {"hi"}}
	tests := []struct {
		name, user, pass string
		want             int
	}{
		{"good", accountSID, authToken, http.StatusCreated},
		{"wrong token", accountSID, "nope", http.StatusUnauthorized},
		{"other account", "AC99999999999999999999999999999999", authToken, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		if got := post(t, f, tt.user, tt.pass, form).StatusCode; got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := len(f.Messages()); n != 1 {
		t.Errorf("fake holds %d messages, want 1", n)
	}
}

func TestErrorShape(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	f.Script("+15555550123", twiliofake.Error(400, 21211, "The 'To' number is not a valid phone number."))
	resp := post(t, f, accountSID, authToken, url.Values{"To": {"+15555550123"}, "From": {"+15550001111"}, "Body": {"hi"}})
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || got["code"] != float64(21211) || got["status"] != float64(400) ||
		got["more_info"] != "https://www.twilio.com/docs/errors/21211" {
		t.Errorf("answer %d %v, want Twilio's error shape for 21211", resp.StatusCode, got)
	}
}

// The list endpoint filters by DateSent and pages like Twilio.
func TestListPaging(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.SetClock(clock.Fixed(now))
	for i := range 5 {
		post(t, f, accountSID, authToken, url.Values{"To": {"+15555550123"}, "From": {"+15550001111"}, "Body": {fmt.Sprint(i)}})
	}
	msgs := f.Messages()
	if err := f.SetStatus(msgs[1].SID, "delivered"); err != nil {
		t.Fatal(err)
	}

	var bodies []string
	next := "/2010-04-01/Accounts/" + accountSID + "/Messages.json?To=%2B15555550123&PageSize=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page := list(t, f, next)
		for _, m := range page.Messages {
			bodies = append(bodies, m.Body)
		}
		next = ""
		if page.NextPageURI != nil {
			next = *page.NextPageURI
		}
	}
	if got := strings.Join(bodies, ","); got != "4,3,2,1,0" {
		t.Errorf("paged bodies %q, want newest first 4,3,2,1,0", got)
	}

	sent := list(t, f, "/2010-04-01/Accounts/"+accountSID+"/Messages.json?To=%2B15555550123&DateSent%3E="+url.QueryEscape(now.Format(time.RFC3339)))
	if len(sent.Messages) != 1 || sent.Messages[0].Body != "1" || sent.Messages[0].DateSent == nil {
		t.Errorf("DateSent> filter gave %+v, want only the delivered message", sent.Messages)
	}
}

type page struct {
	Messages []struct {
		Body     string  `json:"body"`
		DateSent *string `json:"date_sent"`
	} `json:"messages"`
	NextPageURI *string `json:"next_page_uri"`
}

func list(t *testing.T, f *twiliofake.Fake, uri string) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.URL()+uri, nil)
	req.SetBasicAuth(accountSID, authToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p page
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", uri, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScriptsPerRecipientConcurrently(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	f.Script("+15555550001", twiliofake.Error(400, 21211, "invalid"), twiliofake.Accept())
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			to := fmt.Sprintf("+155555501%02d", i)
			resp, err := send(f, accountSID, authToken, url.Values{"To": {to}, "MessagingServiceSid": {"MG1"}, "Body": {"hi"}})
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	first := post(t, f, accountSID, authToken, url.Values{"To": {"+15555550001"}, "MessagingServiceSid": {"MG1"}, "Body": {"hi"}})
	second := post(t, f, accountSID, authToken, url.Values{"To": {"+15555550001"}, "MessagingServiceSid": {"MG1"}, "Body": {"hi"}})
	if first.StatusCode != 400 || second.StatusCode != 201 {
		t.Errorf("scripted answers %d, %d; want 400, 201", first.StatusCode, second.StatusCode)
	}
	if n := len(f.Messages()); n != 21 {
		t.Errorf("fake holds %d messages, want 21", n)
	}
}

func TestSegments(t *testing.T) {
	t.Parallel()
	f := twiliofake.New(t, accountSID, authToken)
	tests := []struct {
		name, body string
		want       int
	}{
		{"gsm single", strings.Repeat("a", 160), 1},
		{"gsm split", strings.Repeat("a", 161), 2},
		{"gsm extension counts twice", strings.Repeat("€", 81), 2},
		{"ucs-2 single", strings.Repeat("é", 10) + "ł" + strings.Repeat("a", 59), 1},
		{"emoji split", strings.Repeat("😀", 36), 2},
	}
	for i, tt := range tests {
		to := fmt.Sprintf("+155555500%02d", i)
		post(t, f, accountSID, authToken, url.Values{"To": {to}, "From": {"+15550001111"}, "Body": {tt.body}})
		got := f.SentTo(to)
		if len(got) != 1 || got[0].Segments != tt.want {
			t.Errorf("%s: segments %v, want %d", tt.name, got, tt.want)
		}
	}
}
