package uploads

import (
	"image"
	"image/draw"
)

// fit returns the size of a w×h image scaled to fit a side × side box,
// keeping its aspect ratio and never enlarging it.
func fit(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, (h*side+w/2)/w)
	}
	return max(1, (w*side+h/2)/h), side
}

// resize scales img down to fit a side × side box by area averaging: each
// output pixel is the exact, coverage-weighted mean of the source pixels
// under it. That is the right filter for shrinking (no aliasing, no
// ringing), and it runs in one pass over the source with memory for one
// source row and two output rows, where a separable kernel (Catmull-Rom)
// needs an intermediate of output width × source height: ~100 MB for a
// 12-megapixel photo.
func resize(img image.Image, side int) *image.RGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := fit(sw, sh, side)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	if dw == sw && dh == sh {
		draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
		return dst
	}
	cols := spans(sw, dw)
	rows := spans(sh, dh)
	row := image.NewRGBA(image.Rect(0, 0, sw, 1))
	line := make([]uint64, dw*4)                                   // the current source row, shrunk horizontally
	acc := [2][]uint64{make([]uint64, dw*4), make([]uint64, dw*4)} // output rows d and d+1
	d := 0
	total := uint64(sw) * uint64(sh) // weight of one output pixel
	flush := func() {
		out := dst.Pix[d*dst.Stride : d*dst.Stride+dw*4]
		for i, v := range acc[0] {
			out[i] = uint8((v + total/2) / total)
		}
		acc[0], acc[1] = acc[1], acc[0]
		clear(acc[1])
		d++
	}
	for y := range sh {
		// Row by row through draw, which converts YCbCr and the rest to
		// premultiplied RGBA on its fast paths.
		draw.Draw(row, row.Rect, img, image.Pt(b.Min.X, b.Min.Y+y), draw.Src)
		clear(line)
		for x, c := range cols {
			p := row.Pix[x*4 : x*4+4]
			o := c.d * 4
			for k := range 4 {
				line[o+k] += c.w0 * uint64(p[k])
			}
			if c.w1 > 0 {
				for k := range 4 {
					line[o+4+k] += c.w1 * uint64(p[k])
				}
			}
		}
		r := rows[y]
		if r.d > d {
			flush()
		}
		for i, v := range line {
			acc[0][i] += r.w0 * v
			if r.w1 > 0 {
				acc[1][i] += r.w1 * v
			}
		}
	}
	for d < dh {
		flush()
	}
	return dst
}

// span says where one source pixel goes when n source pixels shrink to
// m ≤ n: its weight w0 to output pixel d and w1 to d+1, in units of 1/n
// of an output pixel (w0 + w1 = m; each output pixel receives n in all).
type span struct {
	d      int
	w0, w1 uint64
}

func spans(n, m int) []span {
	s := make([]span, n)
	for i := range s {
		p0, p1 := i*m, (i+1)*m // the source pixel, in units of 1/n output pixel
		d := p0 / n
		if edge := (d + 1) * n; p1 > edge {
			s[i] = span{d: d, w0: uint64(edge - p0), w1: uint64(p1 - edge)}
		} else {
			s[i] = span{d: d, w0: uint64(m)}
		}
	}
	return s
}
