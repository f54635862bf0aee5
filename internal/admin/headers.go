package admin

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// The Content-Security-Policy asynqmon's React build runs under, found by
// loading every page in Chromium and watching for violations:
//
//   - script-src: the bundle from 'self' plus the two inline scripts of
//     its index.html (the flags and webpack's runtime), allowed by their
//     SHA-256 hashes, computed at start from the index asynqmon renders.
//     No 'unsafe-inline', no 'unsafe-eval'.
//   - style-src 'unsafe-inline': Material-UI (JSS) injects <style>
//     elements at run time. A nonce would need the index rewritten per
//     request; CSS injection is the lesser risk, and React escapes text.
//   - Google Fonts, which index.html links, are left out on purpose: the
//     operators' browsers then ask no third party for anything, and the UI
//     falls back to the system sans-serif font.
//   - frame-ancestors 'none': no site may frame the dashboard
//     (clickjacking); X-Frame-Options says the same to old browsers.
const cspTemplate = "default-src 'none'; script-src 'self' %s; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// inlineScript finds the inline scripts of an HTML page: a <script>
// element without attributes, so never one with src.
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// scriptHashes returns the CSP source of each inline script of page.
func scriptHashes(page []byte) []string {
	var out []string
	for _, m := range inlineScript.FindAllSubmatch(page, -1) {
		sum := sha256.Sum256(m[1])
		out = append(out, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return out
}

// buildCSP renders the index of each asynqmon handler and returns the
// policy that allows exactly their inline scripts. The read-only and the
// full handler differ in one flag, so their scripts hash differently.
func buildCSP(handlers ...http.Handler) (string, error) {
	var hashes []string
	for _, h := range handlers {
		req, err := http.NewRequest(http.MethodGet, RootPath, nil)
		if err != nil {
			return "", err
		}
		w := &bufferWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
		if w.code != 0 && w.code != http.StatusOK {
			return "", fmt.Errorf("render dashboard index: status %d", w.code)
		}
		found := scriptHashes(w.body.Bytes())
		if len(found) == 0 {
			return "", errors.New("render dashboard index: no inline script found; the CSP would break the UI")
		}
		hashes = append(hashes, found...)
	}
	slices.Sort(hashes)
	return fmt.Sprintf(cspTemplate, strings.Join(slices.Compact(hashes), " ")), nil
}

// bufferWriter is an http.ResponseWriter that keeps what is written.
type bufferWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header         { return w.header }
func (w *bufferWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *bufferWriter) WriteHeader(code int)        { w.code = code }

// setSecurityHeaders sets the headers every /admin/ response carries, the
// 401, 403 and 429 answers included.
func setSecurityHeaders(w http.ResponseWriter, r *http.Request, csp string) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	// HSTS over http is ignored by browsers and would be wrong to send;
	// behind the ALB the hop to the task is http, the client's is https.
	if scheme(r) == "https" {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	// Pages and API answers hold task data, and a 401 must not be
	// remembered: nothing is cached but what allowCaching marks.
	h.Set("Cache-Control", "no-store")
}

// allowCaching lets the browser keep the UI bundle, whose file names carry
// a content hash, once the request is authenticated.
func allowCaching(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, RootPath+"/static/") {
		w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	}
}
