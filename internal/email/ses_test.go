package email

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/taskerr"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

func TestSESRequest(t *testing.T) {
	t.Parallel()
	ses := newFakeSES(t)
	f := newFixture(t, newSES(t, ses.srv.URL, "transactional"))
	p := taskemail.SendPayload{Template: taskemail.TemplateNotification, To: "ana@example.com",
		Data: map[string]any{"subject": "Your report is ready", "message": "It is ready.", "link_url": "https://a.example/r"}}
	if err := f.run(t, p); err != nil {
		t.Fatal(err)
	}
	calls := ses.calls()
	if len(calls) != 1 {
		t.Fatalf("SES got %d requests, want 1", len(calls))
	}
	c := calls[0]
	if c.Path != "POST /v2/email/outbound-emails" || !strings.HasPrefix(c.Authorization, "AWS4-HMAC-SHA256 Credential=test/") {
		t.Errorf("request = %s, Authorization %q; want a signed POST to /v2/email/outbound-emails", c.Path, c.Authorization)
	}
	b := c.Body
	got := map[string]any{
		"from": b.FromEmailAddress, "config set": b.ConfigurationSetName, "to": b.Destination.ToAddresses,
		"cc+bcc":  len(b.Destination.CcAddresses) + len(b.Destination.BccAddresses),
		"subject": b.Content.Simple.Subject, "html charset": b.Content.Simple.Body.Html.Charset,
		"text has message": strings.Contains(b.Content.Simple.Body.Text.Data, "It is ready."),
		"html has link":    strings.Contains(b.Content.Simple.Body.Html.Data, `href="https://a.example/r"`),
		"tags":             len(b.EmailTags),
	}
	want := map[string]any{
		"from": testFrom, "config set": "transactional", "to": []string{"ana@example.com"}, "cc+bcc": 0,
		"subject": sesContent{Data: "Your report is ready", Charset: "UTF-8"}, "html charset": "UTF-8",
		"text has message": true, "html has link": true, "tags": 2,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SendEmail input (-want +got):\n%s", diff)
	}
}

// TestSESErrorClasses answers with each of SES's errors and checks what
// the row, the task and the queue make of it; every case sends exactly one
// request (the SDK's retries are off).
func TestSESErrorClasses(t *testing.T) {
	t.Parallel()
	ses := newFakeSES(t)
	f := newFixture(t, newSES(t, ses.srv.URL, ""))
	const (
		retry     = "retry"
		permanent = "permanent"
		limited   = "rate limited"
	)
	rejected := "Email address is not verified. The following identities failed the check in region US-EAST-1: ana@example.com"
	tests := []struct {
		name         string
		answer       func(int, http.ResponseWriter, *http.Request)
		wantTask     string
		wantStatus   outbox.Status
		wantAttempts int
		wantError    string
		wantPaused   bool
	}{
		{name: "throttled", answer: answerError(429, "TooManyRequestsException", "Maximum sending rate exceeded."),
			wantTask: limited, wantStatus: outbox.StatusPending, wantError: "TooManyRequestsException"},
		{name: "limit exceeded", answer: answerError(400, "LimitExceededException", "Daily message quota exceeded."),
			wantTask: limited, wantStatus: outbox.StatusPending, wantError: "LimitExceededException"},
		{name: "message rejected", answer: answerError(400, "MessageRejected", rejected),
			wantTask: permanent, wantStatus: outbox.StatusFailed, wantAttempts: 1, wantError: "MessageRejected"},
		{name: "sender not verified", answer: answerError(400, "MailFromDomainNotVerifiedException", "not verified"),
			wantTask: permanent, wantStatus: outbox.StatusFailed, wantAttempts: 1, wantError: "MailFromDomainNotVerifiedException"},
		{name: "bad address", answer: answerError(400, "BadRequestException", "Missing final '@domain'"),
			wantTask: permanent, wantStatus: outbox.StatusFailed, wantAttempts: 1, wantError: "BadRequestException"},
		{name: "configuration set missing", answer: answerError(404, "NotFoundException", "Configuration set does not exist"),
			wantTask: permanent, wantStatus: outbox.StatusFailed, wantAttempts: 1, wantError: "NotFoundException"},
		{name: "sending paused", answer: answerError(400, "SendingPausedException", "Sending is paused for this account."),
			wantTask: limited, wantStatus: outbox.StatusPending, wantError: "SendingPausedException", wantPaused: true},
		{name: "account suspended", answer: answerError(400, "AccountSuspendedException", "Account suspended."),
			wantTask: limited, wantStatus: outbox.StatusPending, wantError: "AccountSuspendedException", wantPaused: true},
		{name: "internal failure", answer: answerError(500, "InternalFailure", "oops"),
			wantTask: permanent, wantStatus: outbox.StatusFailed, wantAttempts: 1, wantError: outbox.OutcomeUnknown + "InternalFailure"},
		{name: "service unavailable", answer: answerError(503, "ServiceUnavailable", "try later"),
			wantTask: permanent, wantStatus: outbox.StatusFailed, wantAttempts: 1, wantError: outbox.OutcomeUnknown + "ServiceUnavailable"},
		{name: "access denied", answer: answerError(403, "AccessDeniedException", "not authorized to perform ses:SendEmail"),
			wantTask: retry, wantStatus: outbox.StatusPending, wantAttempts: 1, wantError: "AccessDeniedException"},
		{name: "unreadable success", answer: func(_ int, w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"MessageId":`)) },
			wantTask: permanent, wantStatus: outbox.StatusFailed, wantAttempts: 1, wantError: outbox.OutcomeUnknown},
		{name: "success without an ID", answer: func(_ int, w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{}`)) },
			wantTask: permanent, wantStatus: outbox.StatusFailed, wantAttempts: 1, wantError: outbox.OutcomeUnknown},
		{name: "connection dropped after the request", answer: hangUp,
			wantTask: permanent, wantStatus: outbox.StatusFailed, wantAttempts: 1, wantError: outbox.OutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.pauser.mu.Lock()
			f.pauser.paused = nil
			f.pauser.mu.Unlock()
			ses.setAnswer(tt.answer)
			before := len(ses.calls())
			p := welcome("class:" + tt.name)
			err := f.run(t, p)
			checkTaskError(t, err, tt.wantTask)
			if n := len(ses.calls()) - before; n != 1 {
				t.Errorf("SES got %d requests, want 1 (no SDK retries)", n)
			}
			m := f.row(t, p)
			if m.Status != tt.wantStatus || m.Attempts != tt.wantAttempts || !strings.Contains(m.Error, tt.wantError) {
				t.Errorf("row = %s, %d attempts, error %q; want %s, %d, containing %q", m.Status, m.Attempts, m.Error, tt.wantStatus, tt.wantAttempts, tt.wantError)
			}
			if paused := f.pauser.queues(); (len(paused) == 1 && paused[0] == "emails") != tt.wantPaused {
				t.Errorf("paused queues = %v, want emails paused: %v", paused, tt.wantPaused)
			}
			if err != nil && strings.Contains(err.Error(), "ana@example.com") {
				t.Errorf("task error %q shows the recipient unmasked", err)
			}
		})
	}
	if got := testutil.ToFloat64(f.metrics.SendingPaused.WithLabelValues("SendingPausedException")); got != 1 {
		t.Errorf("jobs_email_sending_paused_total{code=SendingPausedException} = %v, want 1", got)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "queue paused") || strings.Contains(logs, "ana@example.com") || strings.Contains(logs, "Welcome to Salonworks") {
		t.Errorf("logs = %s\nwant the pause logged, no recipient or message text", logs)
	}
}

// hangUp reads the request and drops the connection without answering:
// SES may have acted on it.
func hangUp(_ int, w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func checkTaskError(t *testing.T, err error, want string) {
	t.Helper()
	_, limited := taskerr.AsRateLimit(err)
	var got string
	switch {
	case err == nil:
		got = "nil"
	case taskerr.IsPermanent(err):
		got = "permanent"
	case limited:
		got = "rate limited"
	default:
		got = "retry"
	}
	if got != want {
		t.Errorf("task error = %v (%s), want %s", err, got, want)
	}
}

func TestSESNetworkErrors(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: the dial fails, nothing left.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	hanging := newFakeSES(t)
	hanging.setAnswer(func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	tests := []struct {
		name       string
		endpoint   string
		timeout    time.Duration
		wantTask   string
		wantStatus outbox.Status
		wantClass  Class
	}{
		{name: "connection refused", endpoint: closed, timeout: 5 * time.Second, wantTask: "retry", wantStatus: outbox.StatusPending, wantClass: ClassNotSent},
		{name: "unknown host", endpoint: "http://ses.invalid", timeout: 5 * time.Second, wantTask: "retry", wantStatus: outbox.StatusPending, wantClass: ClassNotSent},
		{name: "deadline while waiting for the answer", endpoint: hanging.srv.URL, timeout: 300 * time.Millisecond, wantTask: "permanent", wantStatus: outbox.StatusFailed, wantClass: ClassUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			provider := newSES(t, tt.endpoint, "")
			sctx, scancel := context.WithTimeout(context.Background(), tt.timeout)
			defer scancel()
			_, err := provider.Send(sctx, Message{ID: 1, From: testFrom, To: "a@example.com", Subject: "s", HTML: "h", Text: "t"})
			if se, ok := errorsAsSendError(err); !ok || se.Class != tt.wantClass {
				t.Errorf("Send() = %v, want class %s", err, tt.wantClass)
			}
			f := newFixture(t, provider)
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			p := welcome("net")
			task, _ := taskemail.NewSendTask(p)
			checkTaskError(t, handler(f.s).ProcessTask(ctx, task), tt.wantTask)
			if m := f.row(t, p); m.Status != tt.wantStatus || m.Attempts != 1 {
				t.Errorf("row = %s, %d attempts; want %s, 1", m.Status, m.Attempts, tt.wantStatus)
			}
		})
	}
}

func TestNewSESRefusesBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    SESConfig
		want string
	}{
		{name: "no region", c: SESConfig{AWS: &aws.Config{}}, want: "no AWS region"},
		{name: "endpoint not a URL", c: SESConfig{AWS: testAWS(), Endpoint: "127.0.0.1:8005"}, want: "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewSES(context.Background(), tt.c); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewSES() = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
