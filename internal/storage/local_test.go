package storage_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/storage"
	"github.com/salonworks/jobs/internal/storage/storagetest"
)

// newLocal returns a Local on a fresh directory, its links served by an
// httptest server.
func newLocal(t *testing.T) (*storage.Local, string) {
	t.Helper()
	dir := t.TempDir()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	l, err := storage.NewLocal(dir, srv.URL+"/")
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	mux := http.NewServeMux()
	storage.Routes(l)(mux)
	h = mux
	return l, dir
}

func TestLocalSuite(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		l, _ := newLocal(t)
		return l
	})
}

func TestLocalRefusesEscapes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, dir := newLocal(t)
	// Links that lead out of the directory, placed there by anyone.
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../"+filepath.Base(outside), filepath.Join(dir, "rel")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "file-link.txt")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key string
		// A Put replaces the link itself with a file, inside the
		// directory: it never writes through it.
		putReplacesLink bool
	}{
		{name: "absolute symlink to a directory", key: "out/secret.txt"},
		{name: "relative symlink climbing out", key: "rel/secret.txt"},
		{name: "symlink to a file outside", key: "file-link.txt", putReplacesLink: true},
		{name: "dot-dot", key: "../" + filepath.Base(outside) + "/secret.txt"},
		{name: "absolute path", key: filepath.Join(outside, "secret.txt")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rc, err := l.Open(ctx, tt.key, 0, -1); err == nil {
				b, _ := io.ReadAll(rc)
				rc.Close()
				t.Errorf("Open(%q) read %q from outside the directory", tt.key, b)
			}
			if _, err := l.Stat(ctx, tt.key); err == nil {
				t.Errorf("Stat(%q) succeeded", tt.key)
			}
			err := l.Put(ctx, tt.key, strings.NewReader("overwritten"), storage.PutOptions{})
			switch {
			case tt.putReplacesLink && err != nil:
				t.Errorf("Put(%q): %v", tt.key, err)
			case tt.putReplacesLink:
				if fi, err := os.Lstat(filepath.Join(dir, tt.key)); err != nil || !fi.Mode().IsRegular() {
					t.Errorf("after Put(%q) the link is %v, %v; want a regular file", tt.key, fi, err)
				}
			case err == nil:
				t.Errorf("Put(%q) succeeded", tt.key)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(outside, "secret.txt")); err != nil || string(b) != "secret" {
		t.Errorf("file outside the directory is now %q, %v", b, err)
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Errorf("files outside the directory: %d, want 1 (nothing written there)", len(entries))
	}
}

func TestLocalLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, _ := newLocal(t)
	now := time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	l.Clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	storagetest.MustPut(t, l, "reports/1/export.csv", []byte("a,b\n1,2\n"))
	storagetest.MustPut(t, l, "reports/1/other.csv", []byte("secret\n"))
	link, err := l.URL(ctx, "reports/1/export.csv", time.Hour)
	if err != nil {
		t.Fatalf("URL: %v", err)
	}
	get := func(t *testing.T, url string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	tests := []struct {
		name       string
		url        string
		header     []string
		wantStatus int
		wantBody   string
	}{
		{name: "valid", url: link, wantStatus: http.StatusOK, wantBody: "a,b\n1,2\n"},
		{name: "range", url: link, header: []string{"Range", "bytes=2-4"}, wantStatus: http.StatusPartialContent, wantBody: "b\n1"},
		{name: "other key, same signature", url: strings.Replace(link, "export.csv", "other.csv", 1), wantStatus: http.StatusForbidden},
		{name: "later expiry, same signature", url: strings.Replace(link, "exp=", "exp=9", 1), wantStatus: http.StatusForbidden},
		{name: "no signature", url: strings.Split(link, "?")[0], wantStatus: http.StatusForbidden},
		{name: "tampered signature", url: link[:len(link)-2] + "xx", wantStatus: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, tt.url, tt.header...)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || (tt.wantBody != "" && string(body) != tt.wantBody) {
				t.Errorf("GET = %d %q, want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	resp := get(t, link)
	for k, want := range map[string]string{
		"Content-Type":           "text/csv; charset=utf-8",
		"Content-Disposition":    "attachment; filename=export.csv",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if resp := get(t, link); resp.StatusCode != http.StatusGone {
		t.Errorf("expired link: status %d, want 410", resp.StatusCode)
	}
	if err := l.Delete(ctx, "reports/1/export.csv"); err != nil {
		t.Fatal(err)
	}
	fresh, _ := l.URL(ctx, "reports/1/export.csv", time.Hour)
	if resp := get(t, fresh); resp.StatusCode != http.StatusNotFound {
		t.Errorf("link to a deleted file: status %d, want 404", resp.StatusCode)
	}
}

func TestLocalSigningKeySharedByProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stores := make([]*storage.Local, 8)
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = storage.NewLocal(dir, "http://jobs.test") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("NewLocal %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	// Every store must sign with the one secret the first of them wrote.
	fixed := func() time.Time { return time.Unix(1_800_000_000, 0) }
	links := map[string]bool{}
	for _, s := range stores {
		s.Clock = fixed
		link, err := s.URL(context.Background(), "a.csv", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		links[link] = true
	}
	if len(links) != 1 {
		t.Errorf("stores on one directory made %d different links, want 1: %v", len(links), links)
	}
	fi, err := os.Stat(filepath.Join(dir, ".signing-key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("signing key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
}

func TestLocalCreatesItsDirectoryOnFirstUse(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "storage")
	l, err := storage.NewLocal(dir, "http://jobs.test")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("NewLocal made %s before any use (%v)", dir, err)
	}
	storagetest.MustPut(t, l, "a/b.txt", []byte("x"))
	if b, err := os.ReadFile(filepath.Join(dir, "a", "b.txt")); err != nil || string(b) != "x" {
		t.Errorf("file = %q, %v", b, err)
	}
}
