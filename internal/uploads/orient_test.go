package uploads

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOrientMapping turns a 3×2 image with one value per pixel
//
//	1 2 3
//	4 5 6
//
// as each EXIF orientation says to display it.
func TestOrientMapping(t *testing.T) {
	t.Parallel()
	src := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(src.Pix, []byte{1, 2, 3, 4, 5, 6})
	tests := []struct {
		name string
		o    int
		want [][]byte
	}{
		{name: "1 as stored", o: 1, want: [][]byte{{1, 2, 3}, {4, 5, 6}}},
		{name: "2 mirrored", o: 2, want: [][]byte{{3, 2, 1}, {6, 5, 4}}},
		{name: "3 turned 180°", o: 3, want: [][]byte{{6, 5, 4}, {3, 2, 1}}},
		{name: "4 flipped", o: 4, want: [][]byte{{4, 5, 6}, {1, 2, 3}}},
		{name: "5 transposed", o: 5, want: [][]byte{{1, 4}, {2, 5}, {3, 6}}},
		{name: "6 turned 90° clockwise", o: 6, want: [][]byte{{4, 1}, {5, 2}, {6, 3}}},
		{name: "7 transversed", o: 7, want: [][]byte{{6, 3}, {5, 2}, {4, 1}}},
		{name: "8 turned 90° counter-clockwise", o: 8, want: [][]byte{{3, 6}, {2, 5}, {1, 4}}},
		{name: "out of range is as stored", o: 9, want: [][]byte{{1, 2, 3}, {4, 5, 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := orient(src, tt.o)
			b := got.Bounds()
			rows := make([][]byte, b.Dy())
			for y := range rows {
				for x := range b.Dx() {
					rows[y] = append(rows[y], color.GrayModel.Convert(got.At(x, y)).(color.Gray).Y)
				}
			}
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("orient(%d) (-want +got):\n%s", tt.o, diff)
			}
		})
	}
}

// TestOrientYCbCrMatchesRGBA turns YCbCr images plane by plane and checks
// every pixel against the same turn done on RGBA, for each subsampling
// and odd sizes, where chroma planes round up.
func TestOrientYCbCrMatchesRGBA(t *testing.T) {
	t.Parallel()
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411,
	} {
		for _, size := range []image.Point{{8, 6}, {7, 5}} {
			src := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), ratio)
			for i := range src.Y {
				src.Y[i] = uint8(i * 37)
			}
			for i := range src.Cb {
				src.Cb[i], src.Cr[i] = uint8(i*53), uint8(255-i*29)
			}
			rgba := image.NewRGBA(src.Rect)
			draw.Draw(rgba, rgba.Rect, src, image.Point{}, draw.Src)
			for o := 2; o <= 8; o++ {
				got, want := orient(src, o), orient(rgba, o)
				if got.Bounds() != want.Bounds() {
					t.Fatalf("%v %v orientation %d: bounds %v, want %v", ratio, size, o, got.Bounds(), want.Bounds())
				}
				// Even sizes turn plane by plane, except 4:1:1 transposed.
				if _, ok := got.(*image.YCbCr); !ok && size.X%4 == 0 && (ratio != image.YCbCrSubsampleRatio411 || o < 5) {
					t.Errorf("%v %v orientation %d: result is %T, want YCbCr", ratio, size, o, got)
				}
				for y := range want.Bounds().Dy() {
					for x := range want.Bounds().Dx() {
						if g, w := color.RGBAModel.Convert(got.At(x, y)), want.At(x, y); g != w {
							t.Fatalf("%v %v orientation %d: pixel (%d, %d) = %v, want %v", ratio, size, o, x, y, g, w)
						}
					}
				}
			}
		}
	}
}

// FuzzJPEGOrientation feeds the EXIF reader arbitrary bytes: it must
// never panic and only ever answer 1–8.
func FuzzJPEGOrientation(f *testing.F) {
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x22Exif\x00\x00II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x22Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe1\xff\xffExif\x00\x00II\x2a\x00\xff\xff\xff\xff"))
	f.Add([]byte("\xff\xd8\xff\xff\xff\xd0\xff\xda"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Errorf("orientation %d", o)
		}
	})
}
