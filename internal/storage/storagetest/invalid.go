package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/storage"
)

// InvalidKeys are keys every store refuses, by what is wrong with them.
var InvalidKeys = []struct {
	Name, Key string
}{
	{"empty", ""},
	{"parent", "../etc/passwd"},
	{"parent inside", "uploads/../../etc/passwd"},
	{"absolute", "/etc/passwd"},
	{"dot segment", "uploads/./a.jpg"},
	{"empty segment", "uploads//a.jpg"},
	{"trailing slash", "uploads/"},
	{"hidden name", ".signing-key"},
	{"backslash", `uploads\..\a.jpg`},
	{"control character", "uploads/a\n.jpg"},
	{"not UTF-8", "uploads/\xff.jpg"},
	{"too long", strings.Repeat("a", storage.MaxKeyBytes+1)},
}

func testInvalidKeys(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	for _, tt := range InvalidKeys {
		t.Run(tt.Name, func(t *testing.T) {
			ops := map[string]error{}
			_, ops["Open"] = s.Open(ctx, tt.Key, 0, -1)
			_, ops["Stat"] = s.Stat(ctx, tt.Key)
			ops["Put"] = s.Put(ctx, tt.Key, strings.NewReader("x"), storage.PutOptions{})
			_, ops["URL"] = s.URL(ctx, tt.Key, time.Hour)
			ops["Delete"] = s.Delete(ctx, tt.Key)
			for op, err := range ops {
				if !errors.Is(err, storage.ErrInvalidKey) {
					t.Errorf("%s(%q) error = %v, want ErrInvalidKey", op, tt.Key, err)
				}
			}
		})
	}
}

// failingReader yields n bytes of pattern, then fails.
type failingReader struct {
	r io.Reader
}

var errBroken = errors.New("client went away")

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBroken
	}
	return n, err
}

func testFailedPut(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	MustPut(t, s, "f/report.csv", []byte("old"))
	// Past one S3 part, so the failure hits a multipart upload.
	err := s.Put(ctx, "f/report.csv", failingReader{Pattern(2, 6<<20)}, storage.PutOptions{})
	if !errors.Is(err, errBroken) {
		t.Errorf("Put from a failing reader = %v, want its error", err)
	}
	if got := ReadAll(t, s, "f/report.csv", 0, -1); string(got) != "old" {
		t.Errorf("after a failed Put read %d bytes, want the old object", len(got))
	}
	err = s.Put(ctx, "f/new.csv", failingReader{bytes.NewReader([]byte("partial"))}, storage.PutOptions{})
	if err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	if _, err := s.Stat(ctx, "f/new.csv"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat after a failed Put error = %v, want ErrNotFound", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(cancelled, "f/cancelled.csv", strings.NewReader("x"), storage.PutOptions{}); err == nil {
		t.Error("Put with a cancelled context succeeded")
	}
}

func testLinks(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	key := "reports/3/9/appointments 2026-03 ünïcode.csv"
	MustPut(t, s, key, []byte("id,starts_at\n1,2026-03-08T09:00:00-05:00\n"))
	link, err := s.URL(ctx, key, 7*24*time.Hour)
	if err != nil {
		t.Fatalf("URL: %v", err)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatalf("GET %s: %v", link, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("id,starts_at\n")) {
		t.Errorf("GET link = %d %q, want 200 and the object", resp.StatusCode, body)
	}
	if _, err := s.URL(ctx, key, 8*24*time.Hour); err == nil {
		t.Error("URL accepted a validity over 7 days")
	}
}
