package sesevents

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/testenv"
)

const (
	testTopic  = "arn:aws:sns:eu-west-1:123456789012:ses-events"
	otherTopic = "arn:aws:sns:eu-west-1:123456789012:someone-else"
	certPath   = "/SimpleNotificationService-test.pem"
)

// t0 is the tests' clock.
var t0 = time.Date(2026, 3, 8, 15, 0, 0, 0, time.UTC)

// fakeSNS plays Amazon SNS: it holds a signing key, serves its self-signed
// certificate and the subscription links over HTTPS, and counts requests.
type fakeSNS struct {
	srv       *httptest.Server
	key       *rsa.PrivateKey
	certGets  atomic.Int32
	confirmed atomic.Int32
}

func newFakeSNS(t testing.TB) *fakeSNS {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    t0.Add(-24 * time.Hour),
		NotAfter:     t0.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	f := &fakeSNS{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+certPath, func(w http.ResponseWriter, _ *http.Request) {
		f.certGets.Add(1)
		w.Write(certPEM)
	})
	mux.HandleFunc("GET /confirm", func(w http.ResponseWriter, _ *http.Request) {
		f.confirmed.Add(1)
		fmt.Fprint(w, "<ConfirmSubscriptionResponse/>")
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// url returns the fake's URL for path.
func (f *fakeSNS) url(path string) string { return f.srv.URL + path }

// host is the fake's host name, which the tests' pattern allows.
func (f *fakeSNS) host() string {
	u, _ := url.Parse(f.srv.URL)
	return u.Hostname()
}

// notification returns a signed SNS notification carrying message.
func (f *fakeSNS) notification(t testing.TB, version, id, message string) *Envelope {
	t.Helper()
	env := &Envelope{
		Type: TypeNotification, MessageID: id, TopicArn: testTopic, Message: message,
		Timestamp: t0.Add(-time.Minute).Format("2006-01-02T15:04:05.000Z"), SignatureVersion: version,
		SigningCertURL: f.url(certPath),
	}
	f.sign(t, env)
	return env
}

// confirmation returns a signed SubscriptionConfirmation for topic.
func (f *fakeSNS) confirmation(t testing.TB, topic string) *Envelope {
	t.Helper()
	env := &Envelope{
		Type: TypeSubscriptionConfirmation, MessageID: "confirm-1", TopicArn: topic, Token: "tok",
		Message: "You have chosen to subscribe", SubscribeURL: f.url("/confirm?Action=ConfirmSubscription&Token=tok"),
		Timestamp: t0.Format(time.RFC3339), SignatureVersion: "1", SigningCertURL: f.url(certPath),
	}
	f.sign(t, env)
	return env
}

// sign signs env as SNS does for its SignatureVersion.
func (f *fakeSNS) sign(t testing.TB, env *Envelope) {
	t.Helper()
	text, err := env.StringToSign()
	if err != nil {
		t.Fatal(err)
	}
	var sig []byte
	if env.SignatureVersion == "2" {
		d := sha256.Sum256([]byte(text))
		sig, err = rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, d[:])
	} else {
		d := sha1.Sum([]byte(text))
		sig, err = rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA1, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	env.Signature = base64.StdEncoding.EncodeToString(sig)
}

// fixture is a handler on a real outbox, trusting the fake's host.
type fixture struct {
	sns     *fakeSNS
	h       *Handler
	store   *outbox.Store
	pool    *pgxpool.Pool
	metrics *Metrics
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pg := testenv.NewPostgres(t)
	sns := newFakeSNS(t)
	hosts, err := ParseHostPattern(sns.host())
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	store := outbox.New(pg.Pool)
	return &fixture{
		sns: sns, store: store, pool: pg.Pool, metrics: m,
		h: &Handler{
			Store: store, TopicARN: testTopic, Metrics: m, Clock: clock.Fixed(t0),
			Certificates: &Certificates{Hosts: hosts, Client: sns.srv.Client(), Clock: clock.Fixed(t0)},
		},
	}
}

// post sends body to the handler and returns the response's status.
func (f *fixture) post(t testing.TB, body []byte) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	rec := httptest.NewRecorder()
	mux := http.NewServeMux()
	f.h.Routes(mux)
	mux.ServeHTTP(rec, req)
	return rec.Code
}

// postEnv posts env as SNS would.
func (f *fixture) postEnv(t testing.TB, env *Envelope) int {
	t.Helper()
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return f.post(t, b)
}

var keySeq atomic.Int64

// sent stores a row to address and takes it to sent with SES message id
// sesID, as the Sender does.
func (f *fixture) sent(t testing.TB, address, sesID string) outbox.Message {
	t.Helper()
	ctx := context.Background()
	m, _, err := f.store.Create(ctx, fmt.Sprintf("test:%d", keySeq.Add(1)), "welcome", address)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Claim(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkSent(ctx, m.ID, sesID, t0); err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) get(t testing.TB, id int64) outbox.Message {
	t.Helper()
	m, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// suppression returns the address's suppression reason, "" for none.
func (f *fixture) suppression(t testing.TB, address string) string {
	t.Helper()
	reason, _, err := f.store.Suppression(context.Background(), address)
	if err != nil {
		t.Fatal(err)
	}
	return reason
}

// notifications counts the notifications recorded as applied.
func (f *fixture) notifications(t testing.TB) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM email_notifications`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) events(typ, outcome string) float64 {
	return testutil.ToFloat64(f.metrics.Events.WithLabelValues(typ, outcome))
}

// sesEventJSON returns an SES event of type typ for message sesID; extra
// is the event-specific object's JSON ("" for none).
func sesEventJSON(typ, sesID, field, extra string) string {
	s := fmt.Sprintf(`{"eventType":%q,"mail":{"messageId":%q,"destination":["ana@example.com"]}`, typ, sesID)
	if field != "" {
		s += fmt.Sprintf(`,%q:%s`, field, extra)
	}
	return s + "}"
}

// bounceJSON is an SES Bounce of bounceType (Permanent, Transient)
// that happened at at.
func bounceJSON(sesID, bounceType string, at time.Time) string {
	return sesEventJSON("Bounce", sesID, "bounce", fmt.Sprintf(
		`{"bounceType":%q,"bounceSubType":"General","bouncedRecipients":[{"emailAddress":"ana@example.com","diagnosticCode":"smtp; 550 5.1.1 ana@example.com unknown"}],"timestamp":%q}`,
		bounceType, at.Format(time.RFC3339Nano)))
}
