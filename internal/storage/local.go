package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/salonworks/jobs/internal/clock"
)

// Local keeps objects as files under one directory (STORAGE=local): the
// key is the file's path relative to it. Every access goes through an
// os.Root, so neither ".." nor a symbolic link can lead outside the
// directory, whatever the key; CheckKey refuses the obvious cases first.
//
// Links (URL) point at the file handler (Routes) under the public base
// URL and are signed with a key kept in the directory itself, so every
// process that shares the directory (a worker and jobs admin on one
// machine, jobs dev) makes and accepts the same links.
type Local struct {
	dir     string
	baseURL string
	// Clock is the clock links are signed and checked against; nil is
	// the wall clock.
	Clock clock.Clock

	mu     sync.Mutex
	root   *os.Root // nil until first used
	signer *Signer
}

var _ Storage = (*Local)(nil)

// NewLocal returns the store of directory dir, which is created (with its
// link signing key) on first use, so a process that never touches storage
// leaves no directory behind. Links are made under publicBaseURL, the
// origin that serves Routes.
func NewLocal(dir, publicBaseURL string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("local storage: no directory")
	}
	return &Local{dir: dir, baseURL: strings.TrimRight(publicBaseURL, "/")}, nil
}

// open returns the directory and the link signer, opening them the first
// time; a failure is returned to the caller and tried again next time.
func (l *Local) open() (*os.Root, *Signer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.root != nil {
		return l.root, l.signer, nil
	}
	if err := os.MkdirAll(l.dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("local storage: %w", err)
	}
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("local storage: %w", err)
	}
	secret, err := loadSigningKey(root)
	if err != nil {
		root.Close()
		return nil, nil, fmt.Errorf("local storage %s: %w", l.dir, err)
	}
	l.root, l.signer = root, NewSigner(secret)
	return l.root, l.signer, nil
}

// Close releases the directory.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.root == nil {
		return nil
	}
	err := l.root.Close()
	l.root = nil
	return err
}

func (l *Local) now() time.Time { return l.Clock.Now() }

// Open implements Storage.
func (l *Local) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	f, size, err := l.openFile(key)
	if err != nil {
		return nil, err
	}
	if offset < 0 || offset > size || (offset == size && size > 0) {
		f.Close()
		return nil, fmt.Errorf("open %q at %d of %d bytes: %w", key, offset, size, ErrInvalidRange)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("open %q: %w", key, err)
	}
	if length < 0 {
		return f, nil
	}
	return readCloser{io.LimitReader(f, length), f}, nil
}

// openFile opens the regular file at key and returns its size.
func (l *Local) openFile(key string) (*os.File, int64, error) {
	if err := CheckKey(key); err != nil {
		return nil, 0, err
	}
	root, _, err := l.open()
	if err != nil {
		return nil, 0, err
	}
	f, err := root.Open(key)
	if err != nil {
		return nil, 0, l.fileError("open", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("stat %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("open %q: %w", key, ErrNotFound)
	}
	return f, fi.Size(), nil
}

// fileError maps "no such file" (including a path through a file) to
// ErrNotFound.
func (l *Local) fileError(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s %q: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("%s %q: %w", op, key, err)
}

// Stat implements Storage.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	f, size, err := l.openFile(key)
	if err != nil {
		return Info{}, err
	}
	f.Close()
	return Info{Size: size}, nil
}

// Put implements Storage: it writes a temporary file beside the target,
// syncs it, and renames it into place.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, _ PutOptions) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	root, _, err := l.open()
	if err != nil {
		return err
	}
	dir := path.Dir(key)
	if dir != "." {
		if err := root.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("put %q: %w", key, err)
		}
	}
	tmp := path.Join(dir, ".tmp-"+randomHex(8))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	_, err = io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, key)
	}
	if err != nil {
		root.Remove(tmp)
		return fmt.Errorf("put %q: %w", key, err)
	}
	return nil
}

// Delete implements Storage.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	root, _, err := l.open()
	if err != nil {
		return err
	}
	if err := root.Remove(key); err != nil && !errors.Is(l.fileError("delete", key, err), ErrNotFound) {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	return nil
}

// URL implements Storage: a link to the file handler, signed until ttl
// has passed.
func (l *Local) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > MaxLinkTTL {
		return "", fmt.Errorf("link to %q: validity %s is not within (0, %s]", key, ttl, MaxLinkTTL)
	}
	_, signer, err := l.open()
	if err != nil {
		return "", err
	}
	return l.baseURL + signer.Path(key, l.now().Add(ttl)), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
