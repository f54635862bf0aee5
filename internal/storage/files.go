package storage

import (
	"errors"
	"mime"
	"net/http"
	"path"
	"strings"
)

// Routes returns what to add to an HTTP server's mux for links of s to
// work: the file handler at GET FilesPrefix for Local, nothing for S3,
// whose links are pre-signed S3 URLs.
func Routes(s Storage) func(*http.ServeMux) {
	l, ok := s.(*Local)
	if !ok {
		return func(*http.ServeMux) {}
	}
	return func(mux *http.ServeMux) { mux.Handle("GET "+FilesPrefix+"{key...}", l) }
}

// ServeHTTP serves a signed link made by URL: 403 when the signature does
// not match, 410 when the link has expired, 404 when the file is gone.
// The file always comes as an attachment with a type from its extension,
// never sniffed and never rendered inline, since it may be a user's
// upload. Range requests are honoured.
func (l *Local) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "private, no-store")
	// The signature is in the URL: keep it out of Referer headers.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	key := r.PathValue("key")
	if key == "" {
		// Mounted as a plain prefix, without the {key...} wildcard.
		key = strings.TrimPrefix(r.URL.Path, FilesPrefix)
	}
	_, signer, err := l.open()
	if err != nil {
		http.Error(w, "file unavailable", http.StatusInternalServerError)
		return
	}
	q := r.URL.Query()
	switch err := signer.Verify(key, q.Get("exp"), q.Get("sig"), l.now()); {
	case errors.Is(err, ErrLinkExpired):
		http.Error(w, "this link has expired", http.StatusGone)
		return
	case err != nil:
		http.Error(w, "invalid link", http.StatusForbidden)
		return
	}
	f, _, err := l.openFile(key)
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrInvalidKey):
		http.Error(w, "file not found", http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, "file unavailable", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, "file unavailable", http.StatusInternalServerError)
		return
	}
	name := path.Base(key)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	http.ServeContent(w, r, name, fi.ModTime(), f)
}
