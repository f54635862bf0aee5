package uploads_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"strings"
	"testing"

	"github.com/salonworks/jobs/internal/taskerr"
)

const mib = 1 << 20

// Headers that detection recognizes; the rest of each file is zeros.
var (
	pdfHead = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
	mp4Head = []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
)

func TestSizeLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, purpose string
		head          []byte // sparse-grown to size, unless whole
		whole         func(t *testing.T) []byte
		size          int64
		wantStatus    string
		wantReason    string
	}{
		{name: "profile image at 5 MB", purpose: "profile_image", size: 5 * mib,
			whole: func(t *testing.T) []byte { return paddedPNG(t, 5*mib) }, wantStatus: "ready"},
		{name: "profile image a byte over 5 MB", purpose: "profile_image", size: 5*mib + 1,
			whole:      func(t *testing.T) []byte { return paddedPNG(t, 5*mib+1) },
			wantStatus: "rejected", wantReason: "the file is 5.1 MB; a profile image may be at most 5 MB"},
		{name: "document at 25 MB", purpose: "document", head: pdfHead, size: 25 * mib, wantStatus: "ready"},
		{name: "document a byte over 25 MB", purpose: "document", head: pdfHead, size: 25*mib + 1,
			wantStatus: "rejected", wantReason: "the file is 25.1 MB; a document may be at most 25 MB"},
		{name: "video at 500 MB", purpose: "video", head: mp4Head, size: 500 * mib, wantStatus: "ready"},
		{name: "video a byte over 500 MB", purpose: "video", head: mp4Head, size: 500*mib + 1,
			wantStatus: "rejected", wantReason: "the file is 500.1 MB; a video may be at most 500 MB"},
		{name: "empty file", purpose: "document", head: []byte{}, size: 0,
			wantStatus: "rejected", wantReason: "the file is empty"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "limits/" + string(rune('a'+i)) + "/file"
			data := tt.head
			if tt.whole != nil {
				data = tt.whole(t)
			}
			id := f.upload(tt.purpose, key, "", data)
			if tt.whole == nil {
				f.sparse(key, tt.size)
			}
			err := process(context.Background(), f.p, id)
			r := f.row(id)
			if r.Status != tt.wantStatus || r.RejectReason != tt.wantReason {
				t.Fatalf("row = %s %q, want %s %q (err %v)", r.Status, r.RejectReason, tt.wantStatus, tt.wantReason, err)
			}
			if tt.wantStatus == "rejected" {
				if !taskerr.IsPermanent(err) {
					t.Errorf("error %v is not permanent", err)
				}
				if f.read(key) != nil {
					t.Error("the rejected file is still stored")
				}
				return
			}
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			if tt.whole == nil && r.Size != tt.size {
				t.Errorf("size_bytes = %d, want %d", r.Size, tt.size)
			}
		})
	}
}

// Tiny WebP images (lossless and lossy, 1×1), as browsers' feature tests
// use them.
var (
	webpLossless, _ = base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	webpLossy, _    = base64.StdEncoding.DecodeString("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
)

func gifBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 40, 30), color.Palette{color.Black, color.White})
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestTypes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	truth, no := true, false
	tests := []struct {
		name, purpose, key, declared string
		data                         func(t *testing.T) []byte
		wantStatus, wantType         string
		wantDetected                 string
		wantMismatch                 *bool
		wantReason                   string
	}{
		{name: "PNG renamed .jpg is a PNG", purpose: "profile_image", key: "t/photo.jpg", declared: "image/jpeg",
			data:       func(t *testing.T) []byte { return pngBytes(t, halves(40, 30)) },
			wantStatus: "ready", wantType: "image/png", wantDetected: "image/png", wantMismatch: &truth},
		{name: "image/jpg is JPEG", purpose: "profile_image", key: "t/a.jpg", declared: "image/jpg",
			data:       func(t *testing.T) []byte { return jpegBytes(t, halves(40, 30)) },
			wantStatus: "ready", wantType: "image/jpeg", wantDetected: "image/jpeg", wantMismatch: &no},
		{name: "nothing declared", purpose: "profile_image", key: "t/b.gif",
			data:       gifBytes,
			wantStatus: "ready", wantType: "image/gif", wantDetected: "image/gif"},
		{name: "lossless WebP becomes PNG", purpose: "profile_image", key: "t/c.webp", declared: "image/webp",
			data:       func(*testing.T) []byte { return webpLossless },
			wantStatus: "ready", wantType: "image/png", wantDetected: "image/webp", wantMismatch: &no},
		{name: "lossy WebP", purpose: "profile_image", key: "t/d.webp", declared: "image/webp; charset=binary",
			data:       func(*testing.T) []byte { return webpLossy },
			wantStatus: "ready", wantType: "image/png", wantDetected: "image/webp", wantMismatch: &no},
		{name: "text claiming to be an image", purpose: "profile_image", key: "t/e.png", declared: "image/png",
			data:       func(*testing.T) []byte { return []byte("Trust me, I am a picture of a haircut.\n") },
			wantStatus: "rejected", wantDetected: "text/plain", wantMismatch: nil,
			wantReason: "A profile image must be a JPEG, PNG, WebP or GIF image; this file is plain text"},
		{name: "text behind a GIF signature", purpose: "profile_image", key: "t/e2.gif", declared: "image/gif",
			// Detection says GIF; the header it then reads is nonsense.
			data:       func(*testing.T) []byte { return []byte("GIF89a? no: just some text pretending\n") },
			wantStatus: "rejected", wantDetected: "image/gif", wantMismatch: &no,
			wantReason: "the image is 8255 × 28526 pixels; at most 40 megapixels are allowed"},
		{name: "PNG header on garbage", purpose: "profile_image", key: "t/f.png", declared: "image/png",
			data:       func(t *testing.T) []byte { return pngBytes(t, halves(40, 30))[:60] },
			wantStatus: "rejected", wantDetected: "image/png", wantMismatch: &no,
			wantReason: "the image could not be read: it is damaged or incomplete"},
		{name: "image as a document", purpose: "document", key: "t/g.pdf", declared: "application/pdf",
			data:       func(t *testing.T) []byte { return pngBytes(t, halves(4, 4)) },
			wantStatus: "rejected", wantDetected: "image/png",
			wantReason: "A document must be a PDF document; this file is a PNG image"},
		{name: "PDF document", purpose: "document", key: "t/h.pdf", declared: "application/pdf",
			data:       func(*testing.T) []byte { return pdfHead },
			wantStatus: "ready", wantType: "application/pdf", wantDetected: "application/pdf", wantMismatch: &no},
		{name: "MP4 declared QuickTime", purpose: "video", key: "t/i.mov", declared: "video/quicktime",
			data:       func(*testing.T) []byte { return mp4Head },
			wantStatus: "ready", wantType: "video/mp4", wantDetected: "video/mp4", wantMismatch: &truth},
		{name: "PDF as a video", purpose: "video", key: "t/j.mp4", declared: "video/mp4",
			data:       func(*testing.T) []byte { return pdfHead },
			wantStatus: "rejected", wantDetected: "application/pdf",
			wantReason: "A video must be an MP4, QuickTime or WebM video; this file is a PDF document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := f.upload(tt.purpose, tt.key, tt.declared, tt.data(t))
			err := process(context.Background(), f.p, id)
			r := f.row(id)
			if r.Status != tt.wantStatus || r.RejectReason != tt.wantReason || r.ContentType != tt.wantType || r.Detected != tt.wantDetected {
				t.Errorf("row = %s %q type %q detected %q, want %s %q type %q detected %q (err %v)", r.Status, r.RejectReason,
					r.ContentType, r.Detected, tt.wantStatus, tt.wantReason, tt.wantType, tt.wantDetected, err)
			}
			if (r.Mismatch == nil) != (tt.wantMismatch == nil) || (r.Mismatch != nil && *r.Mismatch != *tt.wantMismatch) {
				t.Errorf("declared_type_mismatch = %v, want %v", ptr(r.Mismatch), ptr(tt.wantMismatch))
			}
			if (tt.wantStatus == "rejected") != taskerr.IsPermanent(err) || (tt.wantStatus == "ready" && err != nil) {
				t.Errorf("error = %v for a %s upload", err, tt.wantStatus)
			}
			if tt.wantType == "image/png" {
				if _, err := png.DecodeConfig(bytes.NewReader(f.read(tt.key))); err != nil {
					t.Errorf("stored original is no PNG: %v", err)
				}
			}
		})
	}
}

func ptr(b *bool) string {
	if b == nil {
		return "NULL"
	}
	if *b {
		return "true"
	}
	return "false"
}

func TestProcessEdges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.upload("document", "e/doc.pdf", "application/pdf", pdfHead)
	if err := process(ctx, f.p, id); err != nil {
		t.Fatalf("Process: %v", err)
	}
	// A duplicate task finds the row finished and changes nothing.
	f.pool.Exec(ctx, "UPDATE uploads SET size_bytes = 1 WHERE id = $1", id)
	if err := process(ctx, f.p, id); err != nil || f.row(id).Size != 1 {
		t.Errorf("second Process = %v, size %d; want nil and the row untouched", err, f.row(id).Size)
	}
	if err := process(ctx, f.p, 999999); !taskerr.IsPermanent(err) || !strings.Contains(err.Error(), "upload 999999 does not exist") {
		t.Errorf("Process(missing) = %v, want a permanent error", err)
	}
	missing := f.upload("document", "e/gone.pdf", "", pdfHead)
	f.store.Delete(ctx, "e/gone.pdf")
	if err := process(ctx, f.p, missing); !taskerr.IsPermanent(err) || f.row(missing).RejectReason != "the file was not found: the upload did not finish" {
		t.Errorf("Process(object gone) = %v, row %+v", err, f.row(missing))
	}
}
