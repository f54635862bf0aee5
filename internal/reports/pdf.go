package reports

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Page geometry, in mm (A4 portrait).
const (
	pageMargin = 15.0
	pageWidth  = 210.0 - 2*pageMargin
)

// renderPDF writes the salon summary: page 1 has the period's totals and
// the chart, page 2 (and on, for a long list) the technicians. Text is set
// in the Go fonts, embedded, so any Latin, Greek or Cyrillic name prints.
func renderPDF(w io.Writer, s *summary) error {
	bs, unit := buckets(s.Days)
	chart, err := renderChart(bs)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(pageMargin, pageMargin, pageMargin)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetTitle("Salon summary: "+oneLine(s.Salon), true)
	pdf.SetCreator("salonworks jobs", true)
	pdf.SetCreationDate(s.Generated)
	pdf.SetModificationDate(s.Generated)
	pdf.AliasNbPages("")
	generated := s.Generated.UTC().Format("2 January 2006, 15:04 MST")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-13)
		pdf.SetFont("go", "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 5, fmt.Sprintf("Generated %s · Page %d of {nb}", generated, pdf.PageNo()), "", 0, "C", false, 0, "")
	})

	pdf.AddPage()
	pdf.SetTextColor(33, 33, 33)
	pdf.SetFont("go", "B", 20)
	pdf.CellFormat(0, 10, "Salon summary", "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", 14)
	pdf.MultiCell(0, 7, oneLine(s.Salon), "", "L", false)
	pdf.SetFont("go", "", 10)
	pdf.SetTextColor(90, 90, 90)
	pdf.CellFormat(0, 6, fmt.Sprintf("%s · times in %s", period(report{From: s.From, To: s.To}), s.TimeZone), "", 1, "L", false, 0, "")
	pdf.Ln(4)

	heading(pdf, "Totals")
	busiest := "none"
	var most int64
	for _, d := range s.Days {
		if d.Appointments > most {
			most, busiest = d.Appointments, fmt.Sprintf("%s (%s)", d.Date.Format("Mon 2 January 2006"), thousands(d.Appointments))
		}
	}
	t := s.Totals
	for i, kv := range [][2]string{
		{"Appointments", thousands(t.Appointments)},
		{"Completed", thousands(t.Completed)},
		{"Booked or confirmed", thousands(t.Booked)},
		{"Cancelled", thousands(t.Cancelled)},
		{"No-shows", thousands(t.NoShow)},
		{"Distinct customers", thousands(t.Customers)},
		{"Busiest day", busiest},
	} {
		zebra(pdf, i)
		pdf.SetFont("go", "", 10)
		pdf.CellFormat(60, 7, kv[0], "", 0, "L", true, 0, "")
		pdf.SetFont("go", "B", 10)
		pdf.CellFormat(80, 7, kv[1], "", 1, "L", true, 0, "")
	}
	pdf.Ln(6)

	heading(pdf, "Appointments per "+unit)
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("chart", opts, bytes.NewReader(chart))
	pdf.ImageOptions("chart", pageMargin, pdf.GetY(), pageWidth, pageWidth*chartH/chartW, true, opts, 0, "")

	pdf.AddPage()
	heading(pdf, "Technicians")
	techTable(pdf, s.Technicians)
	if err := pdf.Error(); err != nil {
		return err
	}
	return pdf.Output(w)
}

// techTable draws one row per technician, repeating the header on each
// page the table spans.
func techTable(pdf *fpdf.Fpdf, techs []techRow) {
	cols := []struct {
		title string
		w     float64
	}{{"Technician", 54}, {"Appointments", 21}, {"Completed", 21}, {"Booked", 21}, {"Cancelled", 21}, {"No-shows", 21}, {"Customers", 21}}
	header := func() {
		pdf.SetFont("go", "B", 9)
		pdf.SetFillColor(230, 230, 230)
		for i, c := range cols {
			align := "R"
			if i == 0 {
				align = "L"
			}
			pdf.CellFormat(c.w, 7, c.title, "B", 0, align, true, 0, "")
		}
		pdf.Ln(-1)
	}
	header()
	if len(techs) == 0 {
		pdf.SetFont("go", "", 10)
		pdf.CellFormat(0, 8, "No appointments in this period.", "", 1, "L", false, 0, "")
		return
	}
	_, pageH := pdf.GetPageSize()
	for i, t := range techs {
		if pdf.GetY()+7 > pageH-25 {
			pdf.AddPage()
			header()
		}
		zebra(pdf, i)
		pdf.SetFont("go", "", 9)
		name := oneLine(t.Name)
		for pdf.GetStringWidth(name) > cols[0].w-2 && len(name) > 1 {
			name = string([]rune(name)[:len([]rune(name))-2]) + "…"
		}
		pdf.CellFormat(cols[0].w, 7, name, "", 0, "L", true, 0, "")
		for j, v := range []int64{t.Appointments, t.Completed, t.Booked, t.Cancelled, t.NoShow, t.Customers} {
			pdf.CellFormat(cols[j+1].w, 7, thousands(v), "", 0, "R", true, 0, "")
		}
		pdf.Ln(-1)
	}
}

func heading(pdf *fpdf.Fpdf, s string) {
	pdf.SetFont("go", "B", 13)
	pdf.SetTextColor(33, 33, 33)
	pdf.CellFormat(0, 9, s, "", 1, "L", false, 0, "")
}

// zebra sets the fill of table row i: every other row shaded.
func zebra(pdf *fpdf.Fpdf, i int) {
	if i%2 == 0 {
		pdf.SetFillColor(246, 246, 246)
	} else {
		pdf.SetFillColor(255, 255, 255)
	}
}

// thousands writes n with comma separators: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
