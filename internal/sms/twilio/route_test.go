package twilio

import (
	"net/http/httptest"
	"testing"
)

// Spans name Twilio requests by a route with placeholders: no account SID,
// message SID, phone number or query string.
func TestRouteHidesIdentifiers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, url, want string
	}{
		{name: "send", method: "POST", url: "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json",
			want: "POST /2010-04-01/Accounts/{AccountSid}/Messages.json"},
		{name: "list by recipient", method: "GET", url: "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json?To=%2B15551234567&PageSize=20",
			want: "GET /2010-04-01/Accounts/{AccountSid}/Messages.json"},
		{name: "one message", method: "GET", url: "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SMabcdefabcdefabcdefabcdefabcdefab.json",
			want: "GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"},
		{name: "number in the path", method: "GET", url: "https://fake.test/base/+15551234567/15551234567",
			want: "GET /base/{id}/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := route(httptest.NewRequest(tt.method, tt.url, nil)); got != tt.want {
				t.Errorf("route = %q, want %q", got, tt.want)
			}
		})
	}
}
