package reports

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Chart size in pixels; the PDF shows it 180 mm wide (127 dpi).
const (
	chartW, chartH = 900, 360
	plotL, plotR   = 56, chartW - 16
	plotT, plotB   = 34, chartH - 36
)

// Series colours, bottom of each bar first.
var (
	colCompleted = color.RGBA{46, 125, 50, 255}
	colBooked    = color.RGBA{21, 101, 192, 255}
	colCancelled = color.RGBA{158, 158, 158, 255}
	colNoShow    = color.RGBA{198, 40, 40, 255}
	colGrid      = color.RGBA{224, 224, 224, 255}
	colText      = color.RGBA{33, 33, 33, 255}
)

// bucket is one bar: a day, or a week of a long period.
type bucket struct {
	Start time.Time
	counts
}

// buckets groups days into bars: one a day up to 92 days, one a week
// (from the period's first day) beyond, so bars stay wide enough to see.
func buckets(days []dayRow) (bs []bucket, unit string) {
	size, unit := 1, "day"
	if len(days) > 92 {
		size, unit = 7, "week"
	}
	for i, d := range days {
		if i%size == 0 {
			bs = append(bs, bucket{Start: d.Date})
		}
		b := &bs[len(bs)-1]
		b.Appointments += d.Appointments
		b.Booked += d.Booked
		b.Completed += d.Completed
		b.Cancelled += d.Cancelled
		b.NoShow += d.NoShow
	}
	return bs, unit
}

// renderChart draws stacked bars of appointments per bucket, by status,
// as a PNG.
func renderChart(bs []bucket) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, chartW, chartH))
	draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
	var top int64 = 1
	for _, b := range bs {
		top = max(top, b.Appointments)
	}
	step := niceStep(top)
	top = (top + step - 1) / step * step
	yOf := func(v int64) int { return plotB - int(v*int64(plotB-plotT)/top) }
	for v := int64(0); v <= top; v += step {
		y := yOf(v)
		fill(img, image.Rect(plotL, y, plotR, y+1), colGrid)
		label := strconv.FormatInt(v, 10)
		text(img, plotL-8-7*len(label), y+4, label)
	}
	n := len(bs)
	slot := float64(plotR-plotL) / float64(max(n, 1))
	every := max(1, (n+9)/10) // about ten labels
	for i, b := range bs {
		x0 := plotL + int(float64(i)*slot+slot*0.15)
		x1 := plotL + int(float64(i+1)*slot-slot*0.15)
		x1 = max(x1, x0+1)
		base := int64(0)
		for _, s := range []struct {
			v int64
			c color.RGBA
		}{{b.Completed, colCompleted}, {b.Booked, colBooked}, {b.Cancelled, colCancelled}, {b.NoShow, colNoShow}} {
			if s.v > 0 {
				fill(img, image.Rect(x0, yOf(base+s.v), x1, yOf(base)), s.c)
			}
			base += s.v
		}
		if i%every == 0 {
			label := b.Start.Format("Jan 2")
			text(img, (x0+x1)/2-7*len(label)/2, plotB+18, label)
		}
	}
	fill(img, image.Rect(plotL, plotB, plotR, plotB+1), colText)
	x := plotL
	for _, l := range []struct {
		name string
		c    color.RGBA
	}{{"Completed", colCompleted}, {"Booked or confirmed", colBooked}, {"Cancelled", colCancelled}, {"No-show", colNoShow}} {
		fill(img, image.Rect(x, 12, x+12, 24), l.c)
		text(img, x+18, 22, l.name)
		x += 18 + 7*len(l.name) + 24
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// niceStep is a gridline step of 1, 2 or 5 × 10^k giving at most five
// steps up to top.
func niceStep(top int64) int64 {
	for mag := int64(1); ; mag *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if s := m * mag; top <= 5*s {
				return s
			}
		}
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func text(img *image.RGBA, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(colText), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
