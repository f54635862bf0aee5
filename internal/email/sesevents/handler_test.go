package sesevents

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/email/outbox"
)

func TestSignedDeliveryAccepted(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion "+version, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			m := f.sent(t, "ana@example.com", "ses-"+version)
			env := f.sns.notification(t, version, "sns-"+version, sesEventJSON("Delivery", "ses-"+version, "delivery", `{"timestamp":"2026-03-08T14:59:30.000Z"}`))
			if code := f.postEnv(t, env); code != 200 {
				t.Fatalf("POST signed delivery = %d, want 200", code)
			}
			if got := f.get(t, m.ID).Status; got != outbox.StatusDelivered {
				t.Errorf("row = %s, want delivered", got)
			}
			if n := f.events("delivery", "applied"); n != 1 {
				t.Errorf("delivery/applied events = %v, want 1", n)
			}
		})
	}
}

// TestRefused posts what must not act: each is answered with its status,
// leaves the row sent, records no notification and, where the message
// names a host or topic it must not trust, fetches nothing.
func TestRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      func(f *fixture) []byte
		want      int
		noFetches bool
		hosts     string // replaces the fake's host as the allowed pattern
	}{
		{name: "tampered message", want: 403, body: func(f *fixture) []byte {
			env := f.sns.notification(t, "1", "n1", sesEventJSON("Delivery", "ses-1", "", ""))
			env.Message = bounceJSON("ses-1", "Permanent", t0)
			return marshal(t, env)
		}},
		{name: "tampered message id", want: 403, body: func(f *fixture) []byte {
			env := f.sns.notification(t, "2", "n1", sesEventJSON("Delivery", "ses-1", "", ""))
			env.MessageID = "n2"
			return marshal(t, env)
		}},
		{name: "wrong topic", want: 403, noFetches: true, body: func(f *fixture) []byte {
			env := f.sns.notification(t, "1", "n1", sesEventJSON("Delivery", "ses-1", "", ""))
			env.TopicArn = otherTopic
			f.sns.sign(t, env)
			return marshal(t, env)
		}},
		{name: "certificate not on an Amazon host", want: 403, noFetches: true, hosts: DefaultHosts, body: func(f *fixture) []byte {
			return marshal(t, f.sns.notification(t, "1", "n1", sesEventJSON("Delivery", "ses-1", "", "")))
		}},
		{name: "certificate over http", want: 403, noFetches: true, body: func(f *fixture) []byte {
			env := f.sns.notification(t, "1", "n1", sesEventJSON("Delivery", "ses-1", "", ""))
			env.SigningCertURL = strings.Replace(env.SigningCertURL, "https:", "http:", 1)
			f.sns.sign(t, env)
			return marshal(t, env)
		}},
		{name: "unknown signature version", want: 403, noFetches: true, body: func(f *fixture) []byte {
			env := f.sns.notification(t, "2", "n1", sesEventJSON("Delivery", "ses-1", "", ""))
			env.SignatureVersion = "3"
			return marshal(t, env)
		}},
		{name: "too old", want: 403, body: func(f *fixture) []byte {
			env := f.sns.notification(t, "1", "n1", sesEventJSON("Delivery", "ses-1", "", ""))
			env.Timestamp = t0.Add(-MaxAge - time.Hour).Format(time.RFC3339)
			f.sns.sign(t, env)
			return marshal(t, env)
		}},
		{name: "unknown message type", want: 403, noFetches: true, body: func(f *fixture) []byte {
			env := f.sns.notification(t, "1", "n1", sesEventJSON("Delivery", "ses-1", "", ""))
			env.Type = "Surprise"
			return marshal(t, env)
		}},
		{name: "not JSON", want: 400, noFetches: true, body: func(*fixture) []byte { return []byte("Type=Notification") }},
		{name: "body too large", want: 413, noFetches: true, body: func(*fixture) []byte {
			return []byte(`{"Message":"` + strings.Repeat("x", maxBody) + `"}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tt.hosts != "" {
				p, err := ParseHostPattern(tt.hosts)
				if err != nil {
					t.Fatal(err)
				}
				f.h.Certificates.Hosts = p
			}
			m := f.sent(t, "ana@example.com", "ses-1")
			if code := f.post(t, tt.body(f)); code != tt.want {
				t.Fatalf("POST = %d, want %d", code, tt.want)
			}
			if got := f.get(t, m.ID).Status; got != outbox.StatusSent {
				t.Errorf("row = %s after a refused request, want sent", got)
			}
			if n := f.notifications(t); n != 0 {
				t.Errorf("%d notifications recorded after a refused request, want 0", n)
			}
			if n := f.sns.certGets.Load(); tt.noFetches && n != 0 {
				t.Errorf("certificate fetched %d times, want never", n)
			}
		})
	}
}

func marshal(t testing.TB, env *Envelope) []byte {
	t.Helper()
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReplayedActsOnce posts one transient bounce three times: a fresh
// notification each would suppress the address, the same one only counts.
func TestReplayedActsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.sent(t, "ana@example.com", "ses-1")
	env := f.sns.notification(t, "1", "n1", bounceJSON("ses-1", "Transient", t0.Add(-time.Minute)))
	for i := range 3 {
		if code := f.postEnv(t, env); code != 200 {
			t.Fatalf("POST #%d = %d, want 200", i+1, code)
		}
	}
	if r := f.suppression(t, "ana@example.com"); r != "" {
		t.Errorf("address suppressed (%s) by one bounce posted three times", r)
	}
	if a, d := f.events("transient_bounce", "applied"), f.events("transient_bounce", "duplicate"); a != 1 || d != 2 {
		t.Errorf("transient bounce events: %v applied, %v duplicate; want 1 and 2", a, d)
	}
	if n := f.sns.certGets.Load(); n != 1 {
		t.Errorf("certificate fetched %d times for three messages, want 1 (cached)", n)
	}
}

func TestSubscriptionConfirmation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		topic         string
		subscribeURL  string
		want          int
		wantConfirmed int32
	}{
		{name: "our topic is confirmed", topic: testTopic, want: 200, wantConfirmed: 1},
		{name: "another topic is refused", topic: otherTopic, want: 403},
		{name: "a SubscribeURL off SNS is refused", topic: testTopic, subscribeURL: "https://attacker.example.com/confirm", want: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			env := f.sns.confirmation(t, tt.topic)
			if tt.subscribeURL != "" {
				env.SubscribeURL = tt.subscribeURL
				f.sns.sign(t, env)
			}
			if code := f.postEnv(t, env); code != tt.want {
				t.Fatalf("POST confirmation = %d, want %d", code, tt.want)
			}
			if n := f.sns.confirmed.Load(); n != tt.wantConfirmed {
				t.Errorf("SubscribeURL fetched %d times, want %d", n, tt.wantConfirmed)
			}
		})
	}
}
