package email

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/email/seslocal"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

// TestSendThroughEmulator sends every template through the real SDK to the
// aws-ses-v2-local emulator and reads each message back from its store.
func TestSendThroughEmulator(t *testing.T) {
	t.Parallel()
	emu := seslocal.Start(t)
	f := newFixture(t, newSES(t, emu.URL, ""))
	payloads := []taskemail.SendPayload{
		{Template: taskemail.TemplateWelcome, To: "ana@example.com", Data: map[string]any{"name": "Zoë <Ana>"}},
		{Template: taskemail.TemplatePasswordReset, To: "bob@example.com",
			Data: map[string]any{"name": "Bob", "reset_url": "https://app.salonworks.dev/reset?token=abc&u=1", "expires_in_minutes": 30}},
		{Template: taskemail.TemplateNotification, To: "Carla.Diaz+salon@example.com",
			Data: map[string]any{"subject": "Ihr Termin — 10:30 & mehr", "message": "Line one.\n\nLine two.", "link_url": "https://a.example/x?y=1", "link_text": "Öffnen"}},
	}
	for _, p := range payloads {
		if err := f.run(t, p); err != nil {
			t.Fatalf("send %s: %v", p.Template, err)
		}
	}
	// Run again: the emulator must not receive a second copy.
	for _, p := range payloads {
		if err := f.run(t, p); err != nil {
			t.Fatalf("resend %s: %v", p.Template, err)
		}
	}
	got := emu.Emails(t)
	if len(got) != len(payloads) {
		t.Fatalf("emulator holds %d emails, want %d", len(got), len(payloads))
	}
	for i, p := range payloads {
		t.Run(p.Template, func(t *testing.T) {
			want, err := f.s.Renderer.Render(p.Template, p.Data)
			if err != nil {
				t.Fatal(err)
			}
			e := got[i]
			row := f.row(t, p)
			if row.Status != outbox.StatusSent || row.ProviderMessageID != e.MessageID {
				t.Errorf("row = %s with message ID %q; want sent with the emulator's %q", row.Status, row.ProviderMessageID, e.MessageID)
			}
			if diff := cmp.Diff([]string{p.To}, e.Destination.To); diff != "" || len(e.Destination.Cc)+len(e.Destination.Bcc) != 0 {
				t.Errorf("recipients (-want +got):\n%s cc %v bcc %v", diff, e.Destination.Cc, e.Destination.Bcc)
			}
			if e.From != testFrom {
				t.Errorf("from = %q, want %q", e.From, testFrom)
			}
			if diff := cmp.Diff(formatRendered(want), formatRendered(Rendered{Subject: e.Subject, HTML: e.Body.HTML, Text: e.Body.Text})); diff != "" {
				t.Errorf("email as the emulator stored it (-rendered +stored):\n%s", diff)
			}
		})
	}
}

// TestSESDefaultChain builds the provider as production does, with region
// and credentials from the AWS SDK's default chain (here the environment),
// and sends one email to the emulator.
func TestSESDefaultChain(t *testing.T) {
	emu := seslocal.Start(t)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": t.TempDir() + "/none", "AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none",
	} {
		t.Setenv(k, v)
	}
	p, err := NewSES(context.Background(), SESConfig{Endpoint: emu.URL, ConfigurationSet: "transactional"})
	if err != nil {
		t.Fatalf("NewSES() = %v", err)
	}
	id, err := p.Send(context.Background(), Message{ID: 7, Template: "welcome", From: testFrom, To: "ana@example.com", Subject: "Hello", HTML: "<p>Hi</p>", Text: "Hi"})
	if err != nil {
		t.Fatalf("Send() = %v", err)
	}
	got := emu.Emails(t)
	if len(got) != 1 || got[0].MessageID != id || got[0].Subject != "Hello" || got[0].Body.Text != "Hi" {
		t.Errorf("emulator store = %+v, want the one email with ID %q", got, id)
	}
}
