package uploads_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/jpeg"
	"testing"
)

// ifdEntry is one TIFF directory entry; long values go to the data area.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte
}

// Little-endian TIFF value helpers.
func short(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func long(v uint32) []byte  { return binary.LittleEndian.AppendUint32(nil, v) }
func rationals(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
		b = binary.LittleEndian.AppendUint32(b, 1)
	}
	return b
}

// writeIFD appends an IFD at the end of t with its out-of-line values
// right after it, and returns t. next is the offset of the next IFD.
func writeIFD(t []byte, entries []ifdEntry, next uint32) []byte {
	data := uint32(len(t) + 2 + 12*len(entries) + 4)
	var area []byte
	t = binary.LittleEndian.AppendUint16(t, uint16(len(entries)))
	for _, e := range entries {
		t = binary.LittleEndian.AppendUint16(t, e.tag)
		t = binary.LittleEndian.AppendUint16(t, e.typ)
		t = binary.LittleEndian.AppendUint32(t, e.count)
		if len(e.value) <= 4 {
			t = append(t, append(e.value, make([]byte, 4-len(e.value))...)...)
			continue
		}
		t = binary.LittleEndian.AppendUint32(t, data+uint32(len(area)))
		area = append(area, e.value...)
	}
	t = binary.LittleEndian.AppendUint32(t, next)
	return append(t, area...)
}

// exifSegment builds an APP1 segment by hand: IFD0 with camera make and
// model, orientation o and a pointer to a GPS IFD with a position.
func exifSegment(o uint16) []byte {
	tiff := []byte("II\x2a\x00\x08\x00\x00\x00")
	ifd0 := []ifdEntry{
		{0x010F, 2, 6, []byte("Canon\x00")},
		{0x0110, 2, 13, []byte("EOS 5D Mk IV\x00")},
		{0x0112, 3, 1, short(o)},
		{0x8825, 4, 1, nil}, // GPS IFD offset, patched below
	}
	// IFD0 at 8 is 2 + 4×12 + 4 = 54 bytes, then "Canon\0" and the model.
	gpsAt := uint32(8 + 54 + 6 + 13)
	ifd0[3].value = long(gpsAt)
	tiff = writeIFD(tiff, ifd0, 0)
	if uint32(len(tiff)) != gpsAt {
		panic("GPS IFD offset miscounted")
	}
	tiff = writeIFD(tiff, []ifdEntry{
		{0x0001, 2, 2, []byte("N\x00")},
		{0x0002, 5, 3, rationals(40, 44, 30)},
		{0x0003, 2, 2, []byte("W\x00")},
		{0x0004, 5, 3, rationals(73, 59, 10)},
	}, 0)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	return append(seg, payload...)
}

// withEXIF splices seg into a JPEG right after its SOI marker.
func withEXIF(jpg, seg []byte) []byte {
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

// hasMetadata reports what identifying data a file still holds.
func hasMetadata(b []byte) []string {
	var found []string
	for _, s := range []string{"Exif", "Canon", "EOS 5D", "\xff\xe1", "Comment"} {
		if bytes.Contains(b, []byte(s)) {
			found = append(found, s)
		}
	}
	return found
}

func TestEXIFOrientationAndStripping(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Stored 600×300 (left red, right blue); orientation 6 means "turn 90°
	// clockwise to display": upright it is 300×600, red on top.
	src := withEXIF(jpegBytes(t, halves(600, 300)), exifSegment(6))
	if len(hasMetadata(src)) < 4 {
		t.Fatalf("test input lacks its metadata: %q", hasMetadata(src))
	}
	id := f.upload("profile_image", "users/42/avatar.jpg", "image/jpeg", src)
	if err := process(context.Background(), f.p, id); err != nil {
		t.Fatalf("Process: %v", err)
	}
	r := f.row(id)
	if r.Status != "ready" || r.Width != 300 || r.Height != 600 || r.ContentType != "image/jpeg" {
		t.Fatalf("row = %+v, want ready 300×600 image/jpeg", r)
	}
	wantVariants := map[string]image.Point{"thumb_256": {128, 256}, "medium_1024": {300, 600}}
	if len(r.Variants) != len(wantVariants) {
		t.Errorf("variants = %v, want %d", r.Variants, len(wantVariants))
	}
	outputs := map[string][]byte{"original": f.read("users/42/avatar.jpg")}
	for name, size := range wantVariants {
		key := r.Variants[name]
		if key != "users/42/avatar.jpg."+name+".jpg" {
			t.Errorf("variant %s key = %q", name, key)
		}
		b := f.read(key)
		outputs[name] = b
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("decode %s: %v", name, err)
		}
		if got := img.Bounds().Size(); got != size {
			t.Errorf("%s is %v, want %v", name, got, size)
		}
		top := img.At(size.X/2, size.Y/8)
		bottom := img.At(size.X/2, size.Y*7/8)
		if tr, _, tb, _ := top.RGBA(); tr < tb {
			t.Errorf("%s: top is %v, want red (turned clockwise)", name, top)
		}
		if br, _, bb, _ := bottom.RGBA(); bb < br {
			t.Errorf("%s: bottom is %v, want blue", name, bottom)
		}
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(outputs["original"]))
	if err != nil || cfg.Width != 300 || cfg.Height != 600 {
		t.Errorf("original re-encoded as %dx%d, %v; want 300×600", cfg.Width, cfg.Height, err)
	}
	for name, b := range outputs {
		if found := hasMetadata(b); len(found) > 0 {
			t.Errorf("%s still holds %q", name, found)
		}
	}
	if r.Size != int64(len(outputs["original"])) {
		t.Errorf("size_bytes = %d, want the re-encoded %d", r.Size, len(outputs["original"]))
	}
}
