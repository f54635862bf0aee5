package uploads

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// upload is the part of an uploads row processing reads.
type upload struct {
	ID       int64
	Purpose  string
	Key      string
	Declared string
}

// errFinished says the upload is already ready or rejected.
var errFinished = errors.New("upload already processed")

// errNoUpload says there is no uploads row with the id.
var errNoUpload = errors.New("upload does not exist")

// claim moves upload id to processing and returns it. A row already
// processing is taken again: it is the retry of an attempt that failed.
func claim(ctx context.Context, db *pgxpool.Pool, id int64) (upload, error) {
	u := upload{ID: id}
	err := db.QueryRow(ctx, `
		UPDATE uploads SET status = 'processing'
		WHERE id = $1 AND status IN ('pending', 'processing')
		RETURNING purpose, storage_key, coalesce(declared_content_type, '')`, id).
		Scan(&u.Purpose, &u.Key, &u.Declared)
	if errors.Is(err, pgx.ErrNoRows) {
		var status string
		err = db.QueryRow(ctx, `SELECT status FROM uploads WHERE id = $1`, id).Scan(&status)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return u, errNoUpload
		case err == nil:
			return u, errFinished
		}
	}
	if err != nil {
		return u, fmt.Errorf("claim upload %d: %w", id, err)
	}
	return u, nil
}

// outcome is what processing found, written to the row.
type outcome struct {
	// Detected is the type sniffed from the uploaded bytes; "" when the
	// file was refused before.
	Detected string
	// ContentType is the type of the object now stored.
	ContentType string
	Mismatch    *bool
	Size        int64
	Width       int
	Height      int
	Variants    map[string]string
}

// nullable turns a zero into SQL NULL.
func nullable[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// markReady records a processed upload.
func markReady(ctx context.Context, db *pgxpool.Pool, id int64, o outcome, now time.Time) error {
	variants := o.Variants
	if variants == nil {
		variants = map[string]string{}
	}
	_, err := db.Exec(ctx, `
		UPDATE uploads SET status = 'ready', reject_reason = NULL, content_type = $2,
		       detected_content_type = $3, declared_type_mismatch = $4, size_bytes = $5,
		       width = $6, height = $7, variants = $8, processed_at = $9
		WHERE id = $1 AND status = 'processing'`,
		id, o.ContentType, o.Detected, o.Mismatch, o.Size, nullable(o.Width), nullable(o.Height), variants, now)
	if err != nil {
		return fmt.Errorf("mark upload %d ready: %w", id, err)
	}
	return nil
}

// markRejected records a refused upload and why.
func markRejected(ctx context.Context, db *pgxpool.Pool, id int64, reason string, o outcome, now time.Time) error {
	_, err := db.Exec(ctx, `
		UPDATE uploads SET status = 'rejected', reject_reason = $2, content_type = NULL,
		       detected_content_type = $3, declared_type_mismatch = $4, size_bytes = $5,
		       width = NULL, height = NULL, variants = '{}', processed_at = $6
		WHERE id = $1 AND status = 'processing'`,
		id, reason, nullable(o.Detected), o.Mismatch, o.Size, now)
	if err != nil {
		return fmt.Errorf("mark upload %d rejected: %w", id, err)
	}
	return nil
}
