package uploads

import (
	"fmt"
	"math"
	"mime"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// Purposes: the values of uploads.purpose.
const (
	PurposeProfileImage = "profile_image"
	PurposeDocument     = "document"
	PurposeVideo        = "video"
)

// MiB is a mebibyte; the size limits are whole MiB, written "MB" to users.
const MiB = 1 << 20

// Rule is what one purpose accepts.
type Rule struct {
	// MaxBytes is the largest object accepted, inclusive.
	MaxBytes int64
	// Types maps each accepted detected type to the type recorded for it.
	Types map[string]string
	// Noun names the purpose in reasons: "a profile image".
	Noun string
	// Kinds lists the accepted formats for reasons: "JPEG, PNG, WebP or GIF".
	Kinds string
	// Image says the file is decoded, re-encoded and given variants.
	Image bool
}

// Rules are the upload rules by purpose (docs/uploads-reports.md).
var Rules = map[string]Rule{
	PurposeProfileImage: {
		MaxBytes: 5 * MiB, Noun: "a profile image", Kinds: "a JPEG, PNG, WebP or GIF image", Image: true,
		Types: map[string]string{
			"image/jpeg": "image/jpeg", "image/png": "image/png", "image/vnd.mozilla.apng": "image/png",
			"image/webp": "image/webp", "image/gif": "image/gif",
		},
	},
	PurposeDocument: {
		MaxBytes: 25 * MiB, Noun: "a document", Kinds: "a PDF document",
		Types: map[string]string{"application/pdf": "application/pdf"},
	},
	PurposeVideo: {
		MaxBytes: 500 * MiB, Noun: "a video", Kinds: "an MP4, QuickTime or WebM video",
		Types: map[string]string{
			"video/mp4": "video/mp4", "video/x-m4v": "video/mp4",
			"video/quicktime": "video/quicktime", "video/webm": "video/webm",
		},
	},
}

// sniffBytes is how much of a file type detection reads.
const sniffBytes = 3072

// detect returns the media type of a file from its first bytes, without
// parameters ("text/plain", not "text/plain; charset=utf-8").
func detect(head []byte) string {
	return baseType(mimetype.Detect(head).String())
}

// baseType lowercases a media type and drops its parameters.
func baseType(t string) string {
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		return mt
	}
	t, _, _ = strings.Cut(t, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// declaredAliases maps types clients send to the types detection reports.
var declaredAliases = map[string]string{
	"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png",
	"image/apng": "image/png", "image/vnd.mozilla.apng": "image/png",
	"application/x-pdf": "application/pdf", "video/x-m4v": "video/mp4",
}

// mismatch compares the declared type with the recorded one: nil when
// nothing was declared.
func mismatch(declared, recorded string) *bool {
	if strings.TrimSpace(declared) == "" {
		return nil
	}
	d := baseType(declared)
	if a, ok := declaredAliases[d]; ok {
		d = a
	}
	m := d != recorded
	return &m
}

// typeNames name detected types in reasons.
var typeNames = map[string]string{
	"text/plain": "plain text", "text/html": "an HTML page", "application/octet-stream": "of an unknown type",
	"image/jpeg": "a JPEG image", "image/png": "a PNG image", "image/gif": "a GIF image", "image/webp": "a WebP image",
	"application/pdf": "a PDF document", "application/zip": "a ZIP archive", "image/svg+xml": "an SVG image",
	"video/mp4": "an MP4 video", "video/quicktime": "a QuickTime video", "video/webm": "a WebM video",
	"image/heic": "a HEIC image", "image/avif": "an AVIF image", "image/tiff": "a TIFF image", "image/bmp": "a BMP image",
}

// typeName names a detected type for a user.
func typeName(t string) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "of type " + t
}

// megabytes formats n bytes in MB (MiB), rounded up to a tenth, so a file
// one byte over a limit never reads as within it.
func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", math.Ceil(float64(n)*10/MiB)/10)
}

// capitalize upper-cases the first letter of an ASCII phrase.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
