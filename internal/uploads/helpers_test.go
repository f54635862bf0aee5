package uploads_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/storage"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/uploads"
	"github.com/salonworks/jobs/tasks/upload"
)

// fixture is a migrated schema, a local store and a Processor on both.
type fixture struct {
	t     *testing.T
	pool  *pgxpool.Pool
	store *storage.Local
	dir   string
	p     *uploads.Processor
}

var testNow = time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	store, err := storage.NewLocal(dir, "http://jobs.test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	pool := testenv.NewPostgres(t).Pool
	return &fixture{t: t, pool: pool, store: store, dir: dir,
		p: &uploads.Processor{DB: pool, Storage: store, Clock: clock.Fixed(testNow)}}
}

// process runs one attempt of upload:process for upload id, as the worker
// does once the payload is decoded.
func process(ctx context.Context, p *uploads.Processor, id int64) error {
	payload := upload.ProcessPayload{UploadID: id}
	task, err := upload.NewProcessTask(payload)
	if err != nil {
		return err
	}
	return p.Process(ctx, task, &payload)
}

// upload stores data at key and inserts a pending uploads row for it.
func (f *fixture) upload(purpose, key, declared string, data []byte) int64 {
	f.t.Helper()
	if err := f.store.Put(context.Background(), key, bytes.NewReader(data), storage.PutOptions{}); err != nil {
		f.t.Fatalf("put %s: %v", key, err)
	}
	var decl any
	if declared != "" {
		decl = declared
	}
	var id int64
	err := f.pool.QueryRow(context.Background(), `INSERT INTO uploads (owner_id, purpose, storage_key, declared_content_type)
		VALUES (42, $1, $2, $3) RETURNING id`, purpose, key, decl).Scan(&id)
	if err != nil {
		f.t.Fatalf("insert upload: %v", err)
	}
	return id
}

// sparse grows the stored file at key to size bytes without writing them.
func (f *fixture) sparse(key string, size int64) {
	f.t.Helper()
	if err := os.Truncate(filepath.Join(f.dir, key), size); err != nil {
		f.t.Fatal(err)
	}
}

// row is an uploads row as the API reads it.
type row struct {
	Status, RejectReason, ContentType, Detected string
	Mismatch                                    *bool
	Size                                        int64
	Width, Height                               int
	Variants                                    map[string]string
	Processed                                   bool
}

func (f *fixture) row(id int64) row {
	f.t.Helper()
	var r row
	var variants []byte
	err := f.pool.QueryRow(context.Background(), `SELECT status, coalesce(reject_reason, ''), coalesce(content_type, ''),
		coalesce(detected_content_type, ''), declared_type_mismatch, coalesce(size_bytes, 0), coalesce(width, 0),
		coalesce(height, 0), variants, processed_at IS NOT NULL FROM uploads WHERE id = $1`, id).
		Scan(&r.Status, &r.RejectReason, &r.ContentType, &r.Detected, &r.Mismatch, &r.Size, &r.Width, &r.Height, &variants, &r.Processed)
	if err != nil {
		f.t.Fatalf("read upload %d: %v", id, err)
	}
	if err := json.Unmarshal(variants, &r.Variants); err != nil {
		f.t.Fatal(err)
	}
	return r
}

// read returns the stored object at key, or nil when there is none.
func (f *fixture) read(key string) []byte {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, key))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// halves paints the left half of a w×h image red and the right half blue.
func halves(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{200, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 200, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// paddedPNG returns a valid PNG of exactly size bytes: a small image and a
// tEXt chunk (metadata the output must not keep) filling the rest.
func paddedPNG(t *testing.T, size int) []byte {
	t.Helper()
	p := pngBytes(t, halves(64, 48))
	iend := len(p) - 12
	fill := size - len(p) - 12 - len("Comment\x00")
	if fill < 0 {
		t.Fatalf("size %d is below the PNG's own %d bytes", size, len(p))
	}
	text := append([]byte("Comment\x00"), bytes.Repeat([]byte("x"), fill)...)
	out := append(append(append([]byte{}, p[:iend]...), pngChunk("tEXt", text)...), p[iend:]...)
	if len(out) != size {
		t.Fatalf("padded PNG is %d bytes, want %d", len(out), size)
	}
	return out
}

// pngBomb returns a PNG of a few dozen bytes whose header declares w×h
// pixels of RGBA: decoding it would need w×h×4 bytes.
func pngBomb(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, no interlace
	// zlib stream of a few zero bytes: the first scan line's start.
	idat := []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01}
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngChunk("IHDR", ihdr)...)
	b = append(b, pngChunk("IDAT", idat)...)
	return append(b, pngChunk("IEND", nil)...)
}
