// Package storage keeps the daemon's files (uploads, their variants,
// generated reports) behind one small interface with two implementations:
// S3 (aws-sdk-go-v2, also S3-compatible servers) and a local directory.
//
// Objects are streamed both ways: Open reads a byte range, Put consumes a
// reader of unknown length (a multipart upload on S3, a temporary file
// renamed into place locally), so no object is ever held whole in memory.
//
// Keys are relative, slash-separated paths, checked the same way by both
// implementations (CheckKey), so a key that works in development works in
// production and a key that could escape the local directory is refused
// everywhere.
package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// Storage holds objects under keys.
type Storage interface {
	// Open returns a reader of length bytes of the object at key, from
	// offset; a negative length reads to the end. A range that ends past
	// the object is cut short; one that starts past it is ErrInvalidRange.
	// The caller closes the reader.
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Stat returns what is known about the object at key.
	Stat(ctx context.Context, key string) (Info, error)
	// Put stores everything r yields at key, replacing any object there.
	// Readers see the old object or the new one, never a part: a Put that
	// fails leaves no partial object.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) error
	// URL returns a link that downloads the object at key without other
	// credentials until ttl has passed.
	URL(ctx context.Context, key string, ttl time.Duration) (string, error)
	// Delete removes the object at key; a missing object is not an error.
	Delete(ctx context.Context, key string) error
}

// Info describes a stored object.
type Info struct {
	// Size is the object's length in bytes.
	Size int64
}

// PutOptions are the metadata stored with an object.
type PutOptions struct {
	// ContentType is the object's media type, served with it.
	ContentType string
	// ContentDisposition is served with the object (S3); the local file
	// handler always serves files as attachments named after the key.
	ContentDisposition string
}

var (
	// ErrNotFound says there is no object at the key.
	ErrNotFound = errors.New("object not found")
	// ErrInvalidKey says the key breaks the rules of CheckKey.
	ErrInvalidKey = errors.New("invalid storage key")
	// ErrInvalidRange says a read starts past the end of the object.
	ErrInvalidRange = errors.New("range starts past the end of the object")
)

// MaxLinkTTL is the longest validity a link may have: S3's limit for
// pre-signed URLs (SigV4), applied to local links too.
const MaxLinkTTL = 7 * 24 * time.Hour

// ctxReader fails reads once ctx is done, so a copy from a slow or endless
// reader stops when the task is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// readCloser joins a reader and the closer of what it reads from.
type readCloser struct {
	io.Reader
	io.Closer
}
