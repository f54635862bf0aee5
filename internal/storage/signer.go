package storage

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// FilesPrefix is the path under which the local file handler serves
// signed links.
const FilesPrefix = "/files/"

var (
	// ErrLinkExpired says a correctly signed link is past its expiry.
	ErrLinkExpired = errors.New("link expired")
	// ErrBadSignature says a link was not signed by this store, or was
	// changed after signing.
	ErrBadSignature = errors.New("link signature invalid")
)

// Signer signs and checks download links: an HMAC-SHA256 over the key and
// the expiry time, so neither can be changed without the secret.
type Signer struct {
	secret []byte
}

// NewSigner returns a Signer with secret, which should hold at least 32
// random bytes.
func NewSigner(secret []byte) *Signer { return &Signer{secret: secret} }

// Path returns FilesPrefix, the escaped key and the query that makes the
// link valid until exp.
func (s *Signer) Path(key string, exp time.Time) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	e := exp.Unix()
	q := url.Values{"exp": {strconv.FormatInt(e, 10)}, "sig": {s.sign(key, e)}}
	return FilesPrefix + strings.Join(segs, "/") + "?" + q.Encode()
}

// Verify checks the exp and sig parameters of a link to key at now: nil,
// ErrBadSignature, or ErrLinkExpired (only for a genuine link).
func (s *Signer) Verify(key, exp, sig string, now time.Time) error {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	want := s.sign(key, e)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return ErrBadSignature
	}
	if !now.Before(time.Unix(e, 0)) {
		return ErrLinkExpired
	}
	return nil
}

func (s *Signer) sign(key string, exp int64) string {
	m := hmac.New(sha256.New, s.secret)
	// Versioned and NUL-separated: no key and expiry can produce the
	// message of another pair.
	fmt.Fprintf(m, "files/v1\x00%s\x00%d", key, exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signingKeyName is the file, at the top of the local directory, holding
// the link secret in hex. CheckKey refuses dot-names, so no key reaches it.
const signingKeyName = ".signing-key"

// loadSigningKey reads the link secret from root, creating it on first use.
// Two processes starting on a fresh directory race on O_EXCL; the loser
// reads the winner's secret, waiting briefly for it to be written.
func loadSigningKey(root *os.Root) ([]byte, error) {
	for range 50 {
		if secret, err := readSigningKey(root); err == nil {
			return secret, nil
		} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err
		}
		f, err := root.OpenFile(signingKeyName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create link signing key: %w", err)
		}
		secret := make([]byte, 32)
		rand.Read(secret)
		_, err = f.WriteString(hex.EncodeToString(secret))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("write link signing key: %w", err)
		}
		return secret, nil
	}
	return nil, errors.New("link signing key: still incomplete after 1s")
}

func readSigningKey(root *os.Root) ([]byte, error) {
	f, err := root.Open(signingKeyName)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 64)
	if _, err := io.ReadFull(f, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	secret, err := hex.DecodeString(string(buf))
	if err != nil {
		return nil, fmt.Errorf("link signing key %s: %w", signingKeyName, err)
	}
	return secret, nil
}
