package uploads

import (
	"image"
	"image/draw"
)

// orient returns img turned as EXIF orientation o says (1: as stored; 2–8:
// mirrored and/or rotated), so that it displays upright without the tag.
// A YCbCr image (a JPEG) stays YCbCr, planes moved as they are, so the
// turn costs no more memory than the image itself.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	switch src := img.(type) {
	case *image.YCbCr:
		if dst := orientYCbCr(src, o); dst != nil {
			return dst
		}
	case *image.Gray:
		if src.Rect.Min == (image.Point{}) {
			w, h := src.Rect.Dx(), src.Rect.Dy()
			dst := image.NewGray(turnedRect(w, h, o))
			turnPlane(dst.Pix, dst.Stride, src.Pix, src.Stride, w, h, 1, o)
			return dst
		}
	case *image.CMYK:
		if src.Rect.Min == (image.Point{}) {
			w, h := src.Rect.Dx(), src.Rect.Dy()
			dst := image.NewCMYK(turnedRect(w, h, o))
			turnPlane(dst.Pix, dst.Stride, src.Pix, src.Stride, w, h, 4, o)
			return dst
		}
	}
	b := img.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	dst := image.NewRGBA(turnedRect(b.Dx(), b.Dy(), o))
	turnPlane(dst.Pix, dst.Stride, rgba.Pix, rgba.Stride, b.Dx(), b.Dy(), 4, o)
	return dst
}

// transposes reports whether orientation o swaps width and height.
func transposes(o int) bool { return o >= 5 }

func turnedRect(w, h, o int) image.Rectangle {
	if transposes(o) {
		return image.Rect(0, 0, h, w)
	}
	return image.Rect(0, 0, w, h)
}

// turnedRatio is the subsampling of a turned YCbCr image: swapping axes
// swaps 4:2:2 and 4:4:0. 4:1:1 and 4:1:0 have no swapped counterpart.
func turnedRatio(r image.YCbCrSubsampleRatio, o int) (image.YCbCrSubsampleRatio, bool) {
	if !transposes(o) {
		return r, true
	}
	switch r {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420:
		return r, true
	case image.YCbCrSubsampleRatio422:
		return image.YCbCrSubsampleRatio440, true
	case image.YCbCrSubsampleRatio440:
		return image.YCbCrSubsampleRatio422, true
	}
	return 0, false
}

// orientYCbCr turns each plane of src, or returns nil when that cannot
// give the exact result: a mirrored axis that is subsampled must be a
// whole number of chroma samples long, or the samples would pair other
// pixels after the turn (a rare odd-sized image takes the RGBA path).
func orientYCbCr(src *image.YCbCr, o int) *image.YCbCr {
	ratio, ok := turnedRatio(src.SubsampleRatio, o)
	if !ok || src.Rect.Min != (image.Point{}) {
		return nil
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	fx, fy := subsampling(src.SubsampleRatio)
	mirrorsX := o == 2 || o == 3 || o == 7 || o == 8
	mirrorsY := o == 3 || o == 4 || o == 6 || o == 7
	if (mirrorsX && w%fx != 0) || (mirrorsY && h%fy != 0) {
		return nil
	}
	dst := image.NewYCbCr(turnedRect(w, h, o), ratio)
	turnPlane(dst.Y, dst.YStride, src.Y, src.YStride, w, h, 1, o)
	cw, ch := chromaSize(w, h, src.SubsampleRatio)
	turnPlane(dst.Cb, dst.CStride, src.Cb, src.CStride, cw, ch, 1, o)
	turnPlane(dst.Cr, dst.CStride, src.Cr, src.CStride, cw, ch, 1, o)
	return dst
}

// subsampling returns how many pixels share a chroma sample across and
// down.
func subsampling(r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// chromaSize is the size of the chroma planes of a w×h image.
func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	fx, fy := subsampling(r)
	return (w + fx - 1) / fx, (h + fy - 1) / fy
}

// turnPlane copies a w×h plane of bpp-byte pixels from src to dst, moving
// the pixel at (x, y) to where orientation o sends it.
func turnPlane(dst []byte, dstStride int, src []byte, srcStride, w, h, bpp, o int) {
	for y := range h {
		row := src[y*srcStride : y*srcStride+w*bpp]
		for x := range w {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			d := dy*dstStride + dx*bpp
			if bpp == 1 {
				dst[d] = row[x]
			} else {
				copy(dst[d:d+bpp], row[x*bpp:x*bpp+bpp])
			}
		}
	}
}
