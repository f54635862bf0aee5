package uploads

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/testenv"
)

// BenchmarkImagePipeline12MP takes a 4000×3000 JPEG photo with EXIF
// orientation 6 through the whole pipeline (header check, decode, turn,
// re-encode, two variants): time per image and the process's peak RSS
// while one image is processed.
func BenchmarkImagePipeline12MP(b *testing.B) {
	src := photo(b, 4000, 3000)
	runtime.GC()
	debug.FreeOSMemory()
	var peaks []float64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory()
		base := testenv.ProcStatusKB(b, "VmRSS")
		reset := testenv.ResetPeakRSS()
		b.StartTimer()

		start := time.Now()
		out, err := processImage(src, "image/jpeg", DefaultMaxPixels)
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)

		b.StopTimer()
		peak := testenv.ProcStatusKB(b, "VmHWM")
		if out.Width != 3000 || out.Height != 4000 {
			b.Fatalf("output %d×%d, want 3000×4000", out.Width, out.Height)
		}
		if !reset {
			b.Log("VmHWM could not be reset: peak is the whole process's")
		}
		b.Logf("12 MP JPEG (%d KB): %v, RSS before %.0f MB, peak %.0f MB; original %d KB, medium %d KB, thumb %d KB",
			len(src)/1024, elapsed.Round(time.Millisecond), float64(base)/1024, float64(peak)/1024,
			len(out.Original.Data)/1024, len(out.Variants["medium_1024"].Data)/1024, len(out.Variants["thumb_256"].Data)/1024)
		peaks = append(peaks, float64(peak)/1024)
		b.StartTimer()
	}
	b.ReportMetric(maxOf(peaks), "peak-RSS-MB")
}

// photo encodes a w×h JPEG with photo-like content (gradients and fine
// texture) and an EXIF segment with orientation 6.
func photo(b *testing.B, w, h int) []byte {
	b.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			r, g, bl := uint8(x*255/w), uint8(y*255/h), uint8((x*y/7+x^y)&0xFF)
			yy, cb, cr := color.RGBToYCbCr(r, g, bl)
			img.Y[img.YOffset(x, y)] = yy
			ci := img.COffset(x, y)
			img.Cb[ci], img.Cr[ci] = cb, cr
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	// TIFF, little-endian, IFD0 with one entry: orientation 6.
	tiff := []byte("II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00")
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(payload)+2))
	jpg := buf.Bytes()
	return append(append(append([]byte{}, jpg[:2]...), append(seg, payload...)...), jpg[2:]...)
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
