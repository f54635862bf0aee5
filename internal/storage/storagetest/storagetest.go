// Package storagetest is the behaviour every storage.Storage must show,
// as one test suite that runs against each implementation.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/salonworks/jobs/internal/storage"
)

// Run runs the suite; newStore returns an empty store for one subtest.
// Links (URL) are fetched with http.Get, so a store whose links need a
// server must have one running.
func Run(t *testing.T, newStore func(t *testing.T) storage.Storage) {
	t.Run("round trip of a multipart-sized object", func(t *testing.T) {
		t.Parallel()
		testRoundTrip(t, newStore(t))
	})
	t.Run("ranged reads", func(t *testing.T) {
		t.Parallel()
		testRanges(t, newStore(t))
	})
	t.Run("missing objects", func(t *testing.T) {
		t.Parallel()
		testMissing(t, newStore(t))
	})
	t.Run("overwrite and delete", func(t *testing.T) {
		t.Parallel()
		testOverwrite(t, newStore(t))
	})
	t.Run("invalid keys", func(t *testing.T) {
		t.Parallel()
		testInvalidKeys(t, newStore(t))
	})
	t.Run("failed put leaves the old object", func(t *testing.T) {
		t.Parallel()
		testFailedPut(t, newStore(t))
	})
	t.Run("links", func(t *testing.T) {
		t.Parallel()
		testLinks(t, newStore(t))
	})
}

// Pattern returns a deterministic reader of n pseudo-random bytes, so a
// large object is never held in memory by the test either.
func Pattern(seed uint64, n int64) io.Reader {
	return io.LimitReader(&patternReader{r: rand.New(rand.NewPCG(seed, seed))}, n)
}

type patternReader struct{ r *rand.Rand }

func (p *patternReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.r.Uint32())
	}
	return len(b), nil
}

// Sum returns the SHA-256 of everything r yields.
func Sum(t *testing.T, r io.Reader) [32]byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatalf("read: %v", err)
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// ReadAll opens key (offset, length) and returns its bytes.
func ReadAll(t *testing.T, s storage.Storage, key string, offset, length int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key, offset, length)
	if err != nil {
		t.Fatalf("Open(%q, %d, %d): %v", key, offset, length, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

// MustPut stores data at key.
func MustPut(t *testing.T, s storage.Storage, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data), storage.PutOptions{ContentType: "application/octet-stream"}); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func testRoundTrip(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	const size = 12<<20 + 123 // three parts of 5 MiB on S3
	key := "uploads/7/video.mp4"
	if err := s.Put(ctx, key, Pattern(1, size), storage.PutOptions{ContentType: "video/mp4"}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	info, err := s.Stat(ctx, key)
	if err != nil || info.Size != size {
		t.Fatalf("Stat = %+v, %v; want size %d", info, err, size)
	}
	rc, err := s.Open(ctx, key, 0, -1)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if got, want := Sum(t, rc), Sum(t, Pattern(1, size)); got != want {
		t.Error("content read back differs from content put")
	}

	MustPut(t, s, "empty.txt", nil)
	if info, err := s.Stat(ctx, "empty.txt"); err != nil || info.Size != 0 {
		t.Errorf("Stat(empty) = %+v, %v; want size 0", info, err)
	}
	if b := ReadAll(t, s, "empty.txt", 0, -1); len(b) != 0 {
		t.Errorf("empty object read as %d bytes", len(b))
	}
}

func testRanges(t *testing.T, s storage.Storage) {
	data := []byte("0123456789abcdefghij")
	MustPut(t, s, "r/obj.bin", data)
	tests := []struct {
		name           string
		offset, length int64
		want           string
		wantErr        error
	}{
		{name: "head", offset: 0, length: 4, want: "0123"},
		{name: "middle", offset: 10, length: 3, want: "abc"},
		{name: "to the end", offset: 15, length: -1, want: "fghij"},
		{name: "whole", offset: 0, length: -1, want: string(data)},
		{name: "cut short at the end", offset: 18, length: 10, want: "ij"},
		{name: "zero bytes", offset: 5, length: 0, want: ""},
		{name: "starts at the end", offset: 20, length: -1, wantErr: storage.ErrInvalidRange},
		{name: "starts past the end", offset: 25, length: 3, wantErr: storage.ErrInvalidRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := s.Open(context.Background(), "r/obj.bin", tt.offset, tt.length)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Open error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil || string(got) != tt.want {
				t.Errorf("read %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func testMissing(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	if _, err := s.Stat(ctx, "no/such.jpg"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat error = %v, want ErrNotFound", err)
	}
	if _, err := s.Open(ctx, "no/such.jpg", 0, -1); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Open error = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "no/such.jpg"); err != nil {
		t.Errorf("Delete of a missing object = %v, want nil", err)
	}
	MustPut(t, s, "dir/file.txt", []byte("x"))
	// A "directory" is no object, and a path through an object is none.
	for _, key := range []string{"dir", "dir/file.txt/more"} {
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat(%q) error = %v, want ErrNotFound", key, err)
		}
	}
}

func testOverwrite(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	MustPut(t, s, "a/b.txt", []byte("first version"))
	MustPut(t, s, "a/b.txt", []byte("second"))
	if got := ReadAll(t, s, "a/b.txt", 0, -1); string(got) != "second" {
		t.Errorf("after overwrite read %q, want %q", got, "second")
	}
	if err := s.Delete(ctx, "a/b.txt"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(ctx, "a/b.txt"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat after Delete error = %v, want ErrNotFound", err)
	}
}
