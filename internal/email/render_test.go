package email

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/internal/email/templates"
	taskemail "github.com/salonworks/jobs/tasks/email"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func newTestRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer()
	if err != nil {
		t.Fatalf("NewRenderer() = %v", err)
	}
	return r
}

// goldenCases are the rendered emails kept under testdata/: every template,
// and the data that tries to break out of its place.
var goldenCases = []struct {
	name     string
	template string
	data     map[string]any
}{
	{name: "welcome", template: taskemail.TemplateWelcome, data: map[string]any{"name": "Ana"}},
	{name: "welcome_hostile_name", template: taskemail.TemplateWelcome,
		data: map[string]any{"name": "Ana <script>alert(1)</script>\r\nBcc: everyone@example.com"}},
	{name: "password_reset", template: taskemail.TemplatePasswordReset,
		data: map[string]any{"name": "Ana", "reset_url": "https://app.salonworks.dev/reset?token=abc123&u=42", "expires_in_minutes": 30.0}},
	{name: "password_reset_no_name_one_minute", template: taskemail.TemplatePasswordReset,
		data: map[string]any{"name": "", "reset_url": "https://app.salonworks.dev/reset?token=xyz", "expires_in_minutes": 1}},
	{name: "notification", template: taskemail.TemplateNotification,
		data: map[string]any{"subject": "Your appointment moved", "message": "Your appointment on Friday moved to 10:30.\n\nReply to the salon if that does not suit you."}},
	{name: "notification_link", template: taskemail.TemplateNotification,
		data: map[string]any{"subject": "Your report is ready", "message": "The appointments export you asked for is ready.\nThe link works for 24 hours.",
			"link_url": "https://files.salonworks.dev/r/7?sig=a%2Bb&exp=1", "link_text": "Download the report"}},
	{name: "notification_link_without_text", template: taskemail.TemplateNotification,
		data: map[string]any{"subject": "New review", "message": "A customer left a review.", "link_url": "https://app.salonworks.dev/reviews/9"}},
	{name: "notification_escaping", template: taskemail.TemplateNotification,
		data: map[string]any{"subject": `Tom & Jerry's "<b>" salon`, "message": "<img src=x onerror=alert(1)> & </p><script>x()</script>",
			"link_url": "https://a.example/?q=<x>&r=\"y\"", "link_text": "<i>Open</i>"}},
}

func TestTemplatesRenderGolden(t *testing.T) {
	t.Parallel()
	r := newTestRenderer(t)
	for _, tt := range goldenCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := taskemail.SendPayload{Template: tt.template, To: "ana@example.com", Data: tt.data}
			if err := p.Validate(); err != nil {
				t.Fatalf("the case's data is not valid: %v", err)
			}
			got, err := r.Render(tt.template, tt.data)
			if err != nil {
				t.Fatalf("Render() = %v", err)
			}
			if strings.ContainsAny(got.Subject, "\r\n") {
				t.Errorf("subject %q holds a line break", got.Subject)
			}
			checkGolden(t, tt.name, formatRendered(got))
		})
	}
}

// formatRendered lays an email out for a golden file.
func formatRendered(r Rendered) string {
	return fmt.Sprintf("Subject: %s\n\n--- text/plain ---\n%s\n--- text/html ---\n%s", r.Subject, r.Text, r.HTML)
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestTemplatesRenderGolden -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// TestEveryDeclaredFieldIsRendered gives every field of every template a
// value of its own and finds each in the HTML part and in the subject or
// text part: a field the spec asks for but no template shows is a bug.
func TestEveryDeclaredFieldIsRendered(t *testing.T) {
	t.Parallel()
	r := newTestRenderer(t)
	for _, spec := range taskemail.Templates() {
		t.Run(spec.Name, func(t *testing.T) {
			t.Parallel()
			data := map[string]any{}
			want := map[string]string{}
			for i, f := range spec.Fields {
				switch f.Type {
				case taskemail.PositiveInteger:
					data[f.Name] = float64(4200 + i)
					want[f.Name] = fmt.Sprint(4200 + i)
				case taskemail.URL:
					data[f.Name] = "https://example.com/field-" + f.Name
					want[f.Name] = data[f.Name].(string)
				default:
					data[f.Name] = "value-of-" + f.Name
					want[f.Name] = data[f.Name].(string)
				}
			}
			if err := (taskemail.SendPayload{Template: spec.Name, To: "a@example.com", Data: data}).Validate(); err != nil {
				t.Fatalf("data with every field is not valid: %v", err)
			}
			got, err := r.Render(spec.Name, data)
			if err != nil {
				t.Fatal(err)
			}
			for field, v := range want {
				if !strings.Contains(got.HTML, v) {
					t.Errorf("data.%s (%q) is not in the HTML part", field, v)
				}
				if !strings.Contains(got.Text, v) && !strings.Contains(got.Subject, v) {
					t.Errorf("data.%s (%q) is in neither the subject nor the text part", field, v)
				}
			}
		})
	}
}

func TestRenderRefusesBadData(t *testing.T) {
	t.Parallel()
	r := newTestRenderer(t)
	tests := []struct {
		name     string
		template string
		data     map[string]any
	}{
		{name: "unknown template", template: "promo", data: map[string]any{}},
		{name: "missing required field", template: taskemail.TemplatePasswordReset, data: map[string]any{"name": "Ana", "reset_url": "https://a.example/"}},
		{name: "number as text", template: taskemail.TemplatePasswordReset, data: map[string]any{"name": "Ana", "reset_url": "https://a.example/", "expires_in_minutes": "30"}},
		{name: "fractional minutes", template: taskemail.TemplatePasswordReset, data: map[string]any{"name": "Ana", "reset_url": "https://a.example/", "expires_in_minutes": 1.5}},
		{name: "name not a string", template: taskemail.TemplateWelcome, data: map[string]any{"name": 7.0}},
		{name: "blank subject", template: taskemail.TemplateNotification, data: map[string]any{"subject": "\r\n\t", "message": "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := r.Render(tt.template, tt.data); !errors.Is(err, ErrRender) {
				t.Errorf("Render() = %v, want ErrRender", err)
			}
		})
	}
}

// TestEveryTemplateHasItsParts removes each file in turn: the renderer
// refuses to start without it rather than failing on the first email.
func TestEveryTemplateHasItsParts(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(templates.FS, "*.tmpl")
	if err != nil || len(names) != 2+3*len(taskemail.TemplateNames()) {
		t.Fatalf("embedded templates = %v, %v; want layout, footer and three parts per template", names, err)
	}
	for _, missing := range names {
		t.Run(missing, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{}
			for _, n := range names {
				if n != missing {
					b, _ := fs.ReadFile(templates.FS, n)
					fsys[n] = &fstest.MapFile{Data: b}
				}
			}
			if _, err := newRenderer(fsys); err == nil {
				t.Errorf("newRenderer() without %s = nil error", missing)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{name: "plain", in: "Hello", want: "Hello"},
		{name: "CRLF header injection", in: "Hi\r\nBcc: x@example.com", want: "Hi Bcc: x@example.com"},
		{name: "bare CR and LF", in: "a\rb\nc", want: "a b c"},
		{name: "tabs and runs of spaces", in: "  a\t\t b  ", want: "a b"},
		{name: "unicode line separators", in: "a\u2028b\u2029c\u0085d", want: "a b c d"},
		{name: "other control characters", in: "a\x00b\x1bc", want: "a b c"},
		{name: "cut", in: "abcdef", max: 4, want: "abc…"},
		{name: "cut on a space", in: "ab cdef", max: 4, want: "ab…"},
		{name: "multibyte cut", in: "ééééé", max: 3, want: "éé…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := OneLine(tt.in, tt.max); got != tt.want {
				t.Errorf("OneLine(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}
