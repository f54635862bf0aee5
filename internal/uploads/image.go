package uploads

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"
)

// DefaultMaxPixels bounds width × height of an image before it is decoded:
// 40 megapixels decode to at most 160 MB.
const DefaultMaxPixels = 40_000_000

// Variant sizes: the longest side of each variant, in pixels, largest
// first: each variant is scaled from the one before, which is much cheaper
// than from the full image and looks the same. Images are never enlarged,
// so a small image's variants are its own size.
var variantSizes = []struct {
	Name string
	Side int
}{
	{"medium_1024", 1024},
	{"thumb_256", 256},
}

// encodedImage is an image ready to store.
type encodedImage struct {
	Data        []byte
	ContentType string
	// Ext is the file extension of variant keys, with its dot.
	Ext string
}

// processedImage is what the pipeline makes of an uploaded image.
type processedImage struct {
	// Width and Height are the upright image's, after EXIF orientation.
	Width, Height int
	// Original replaces the upload: same pixels, no metadata.
	Original encodedImage
	// Variants are the resized copies, by name.
	Variants map[string]encodedImage
}

type codec struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// codecs decode each accepted image type by name, not through image's
// format registry, so no other registered decoder is ever reached.
var codecs = map[string]codec{
	"image/jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"image/png":  {png.DecodeConfig, png.Decode},
	"image/gif":  {gif.DecodeConfig, gif.Decode}, // the first frame only
	"image/webp": {webp.DecodeConfig, webp.Decode},
}

// processImage checks, decodes, turns upright and re-encodes an image of
// type ctype, and makes its variants. Problems with the file itself come
// back as *Rejection.
func processImage(data []byte, ctype string, maxPixels int64) (*processedImage, error) {
	c, ok := codecs[ctype]
	if !ok {
		return nil, fmt.Errorf("no image codec for %s", ctype)
	}
	// The header alone, so a decompression bomb costs nothing.
	cfg, err := c.config(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, reject("the image could not be read: it is damaged or incomplete")
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return nil, reject(fmt.Sprintf("the image is %d × %d pixels; at most %d megapixels are allowed",
			cfg.Width, cfg.Height, maxPixels/1_000_000))
	}
	orientation := 1
	if ctype == "image/jpeg" {
		orientation = jpegOrientation(data)
	}
	img, err := c.decode(bytes.NewReader(data))
	if err != nil {
		return nil, reject("the image could not be read: it is damaged or incomplete")
	}
	img = orient(img, orientation)
	b := img.Bounds()
	out := &processedImage{Width: b.Dx(), Height: b.Dy(), Variants: map[string]encodedImage{}}
	if out.Original, err = encodeOriginal(img, ctype); err != nil {
		return nil, err
	}
	src := img
	for _, v := range variantSizes {
		scaled := resize(src, v.Side)
		src = scaled
		enc, err := encodeVariant(scaled)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", v.Name, err)
		}
		out.Variants[v.Name] = enc
	}
	return out, nil
}

// encodeOriginal re-encodes the full image in its own format, which keeps
// no metadata: Go's encoders write none. WebP has no Go encoder, and
// becomes a PNG (lossless, keeps transparency).
func encodeOriginal(img image.Image, ctype string) (encodedImage, error) {
	var buf bytes.Buffer
	var err error
	out := encodedImage{ContentType: ctype}
	switch ctype {
	case "image/jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	case "image/gif":
		err = gif.Encode(&buf, img, nil)
	default:
		out.ContentType = "image/png"
		err = png.Encode(&buf, img)
	}
	if err != nil {
		return encodedImage{}, fmt.Errorf("re-encode image: %w", err)
	}
	out.Data = buf.Bytes()
	return out, nil
}

// encodeVariant writes an opaque variant as JPEG and one with
// transparency as PNG.
func encodeVariant(img *image.RGBA) (encodedImage, error) {
	var buf bytes.Buffer
	if img.Opaque() {
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			return encodedImage{}, err
		}
		return encodedImage{Data: buf.Bytes(), ContentType: "image/jpeg", Ext: ".jpg"}, nil
	}
	if err := png.Encode(&buf, img); err != nil {
		return encodedImage{}, err
	}
	return encodedImage{Data: buf.Bytes(), ContentType: "image/png", Ext: ".png"}, nil
}
