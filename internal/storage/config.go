package storage

import (
	"go.opentelemetry.io/otel/trace"

	"context"
	"fmt"
)

// Config chooses and configures a store, from the STORAGE variables.
type Config struct {
	// Kind is "s3" or "local" (STORAGE).
	Kind string
	// S3Bucket is the bucket for Kind s3 (S3_BUCKET).
	S3Bucket string
	// S3Endpoint overrides the S3 endpoint (S3_ENDPOINT).
	S3Endpoint string
	// LocalDir is the directory for Kind local (LOCAL_STORAGE_DIR).
	LocalDir string
	// PublicBaseURL is the origin that serves Routes, where local links
	// point (PUBLIC_BASE_URL).
	PublicBaseURL string
	// TracerProvider traces the S3 requests made under a traced context;
	// nil traces nothing.
	TracerProvider trace.TracerProvider
}

// New returns the store cfg describes.
func New(ctx context.Context, cfg Config) (Storage, error) {
	switch cfg.Kind {
	case "s3":
		if cfg.S3Bucket == "" {
			return nil, fmt.Errorf("storage: S3_BUCKET is required for STORAGE=s3")
		}
		return NewS3(ctx, S3Config{Bucket: cfg.S3Bucket, Endpoint: cfg.S3Endpoint, TracerProvider: cfg.TracerProvider})
	case "local", "":
		if cfg.PublicBaseURL == "" {
			return nil, fmt.Errorf("storage: local links need PUBLIC_BASE_URL")
		}
		return NewLocal(cfg.LocalDir, cfg.PublicBaseURL)
	}
	return nil, fmt.Errorf("storage: STORAGE=%q is not s3 or local", cfg.Kind)
}
