package reports_test

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"

	"github.com/salonworks/jobs/internal/reports"
)

func TestSalonSummaryPDF(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.seed()
	id := f.request(reports.TypeSalonSummary, s.salon, "2026-03-01", "2026-03-31")
	if err := generate(context.Background(), f.g, id); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	r := f.row(id)
	if r.Status != "done" || !strings.HasSuffix(r.StorageKey, "/salon_summary_2026-03-01_2026-03-31.pdf") {
		t.Fatalf("row = %+v", r)
	}
	status, body := get(t, r.URL)
	if status != 200 || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Fatalf("GET link = %d, %d bytes; want a PDF", status, len(body))
	}
	doc, err := pdf.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("read PDF: %v", err)
	}
	if n := doc.NumPage(); n != 2 {
		t.Fatalf("PDF has %d pages, want 2 (summary and chart, technicians)", n)
	}
	pages := []string{pageText(t, doc, 1), pageText(t, doc, 2)}
	tests := []struct {
		name string
		page int
		want []string
	}{
		// The reader drops the en dash of "1–31" (poppler reads it).
		{name: "title and period", page: 1, want: []string{"Salon summary", "Brooklyn Nails", "31 March 2026 · times in America/New_York"}},
		// The ten appointments of the golden CSV.
		{name: "totals", page: 1, want: []string{"Appointments10", "Completed5", "Booked or confirmed2", "Cancelled2", "No-shows1", "Distinct customers4"}},
		{name: "busiest day", page: 1, want: []string{"Busiest daySun 8 March 2026 (3)"}},
		{name: "chart", page: 1, want: []string{"Appointments per day"}},
		{name: "footer", page: 1, want: []string{"Generated 2 April 2026, 09:30 UTC · Page 1 of 2"}},
		{name: "technician table", page: 2, want: []string{"Technicians", "TechnicianAppointmentsCompletedBookedCancelledNo-showsCustomers",
			"Ana Lima431003", "Ben Okafor310113", "Zoë Ørsted211001", "Unassigned100101", "Page 2 of 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(pages[tt.page-1], w) {
					t.Errorf("page %d lacks %q; it reads:\n%s", tt.page, w, pages[tt.page-1])
				}
			}
		})
	}
	// The chart is an image XObject, drawn on page 1 and nowhere else.
	if n := images(doc.Page(1)); n != 1 {
		t.Errorf("page 1 has %d image XObjects, want 1 (the chart)", n)
	}
	for n, want := range map[int]bool{1: true, 2: false} {
		if got := draws(t, doc.Page(n)); got != want {
			t.Errorf("page %d draws an XObject: %t, want %t", n, got, want)
		}
	}
	if !regexp.MustCompile(`/Subtype\s*/Image`).Match(body) {
		t.Error("no /Subtype /Image in the PDF")
	}
}

func pageText(t *testing.T, doc *pdf.Reader, n int) string {
	t.Helper()
	p := doc.Page(n)
	var b strings.Builder
	rows, err := p.GetTextByRow()
	if err != nil {
		t.Fatalf("text of page %d: %v", n, err)
	}
	for _, row := range rows {
		for _, w := range row.Content {
			b.WriteString(w.S)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// images counts the image XObjects a page's resources hold.
func images(p pdf.Page) int {
	xo := p.Resources().Key("XObject")
	n := 0
	for _, k := range xo.Keys() {
		if xo.Key(k).Key("Subtype").Name() == "Image" {
			n++
		}
	}
	return n
}

// draws reports whether a page's content paints an XObject (operator Do).
func draws(t *testing.T, p pdf.Page) bool {
	t.Helper()
	content, err := io.ReadAll(p.V.Key("Contents").Reader())
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`/\w+ Do\b`).Match(content)
}
