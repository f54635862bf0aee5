package email

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/salonworks/jobs/internal/email/outbox"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

func TestLogProvider(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	f := newFixture(t, LogProvider{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	p := taskemail.SendPayload{Template: taskemail.TemplatePasswordReset, To: "jane.doe@example.com",
		Data: map[string]any{"name": "Jane", "reset_url": "https://app.salonworks.dev/reset?token=s3cret", "expires_in_minutes": 30}}
	if err := f.run(t, p); err != nil {
		t.Fatal(err)
	}
	m := f.row(t, p)
	if m.Status != outbox.StatusSent || m.ProviderMessageID == "" {
		t.Errorf("row = %s, id %q; want sent with a log message ID", m.Status, m.ProviderMessageID)
	}
	out := logs.String()
	for _, want := range []string{`"to":"j***@example.com"`, `"template":"password_reset"`, `"subject_chars":30`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %s\nlacks %s", out, want)
		}
	}
	for _, secret := range []string{"jane.doe", "s3cret", "Reset your", "Jane"} {
		if strings.Contains(out, secret) {
			t.Errorf("log %s\nshows %q: recipients are masked, subjects and bodies never logged", out, secret)
		}
	}
}

func TestFormatFrom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "bare", in: "no-reply@salonworks.dev", want: "no-reply@salonworks.dev"},
		{name: "display name", in: "Salonworks <no-reply@salonworks.dev>", want: `"Salonworks" <no-reply@salonworks.dev>`},
		{name: "non-ASCII name is encoded", in: "Salón Zoë <no-reply@salonworks.dev>", want: "=?utf-8?q?Sal=C3=B3n_Zo=C3=AB?= <no-reply@salonworks.dev>"},
		{name: "header injection", in: "Salon <a@b.co>\r\nBcc: x@y.z", wantErr: true},
		{name: "two addresses", in: "a@b.co, c@d.co", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FormatFrom(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("FormatFrom(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMessageCheck(t *testing.T) {
	t.Parallel()
	ok := Message{From: testFrom, To: "a@example.com", Subject: "Hi", HTML: "h", Text: "t"}
	tests := []struct {
		name    string
		edit    func(*Message)
		wantErr bool
	}{
		{name: "fine", edit: func(*Message) {}},
		{name: "recipient with a name", edit: func(m *Message) { m.To = "A <a@example.com>" }, wantErr: true},
		{name: "recipient with CRLF", edit: func(m *Message) { m.To = "a@example.com\r\nBcc: b@example.com" }, wantErr: true},
		{name: "subject with LF", edit: func(m *Message) { m.Subject = "Hi\nBcc: b@example.com" }, wantErr: true},
		{name: "empty subject", edit: func(m *Message) { m.Subject = " " }, wantErr: true},
		{name: "sender with CR", edit: func(m *Message) { m.From = "a@example.com\rX: y" }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := ok
			tt.edit(&m)
			if err := m.Check(); (err != nil) != tt.wantErr {
				t.Errorf("Check() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestNonSESErrorsCountAsUnknown(t *testing.T) {
	t.Parallel()
	if c, _ := ClassOf(context.DeadlineExceeded); c != ClassUnknown {
		t.Errorf("ClassOf(an unclassified error) = %s, want unknown", c)
	}
}
