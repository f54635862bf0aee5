package app

import (
	"context"
	"net"
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/salonworks/jobs/internal/reports"
	"github.com/salonworks/jobs/internal/storage"
	"github.com/salonworks/jobs/internal/uploads"
)

// Files is the wiring of the uploads and reports queues and the storage
// they share.
type Files struct {
	Storage storage.Storage
	// Processor handles upload:process.
	Processor *uploads.Processor
	// Generator handles report:generate.
	Generator *reports.Generator
	// Routes serves the signed links of STORAGE=local at GET
	// /files/{key...}; nothing for S3.
	Routes func(*http.ServeMux)
}

// NewFiles opens the storage STORAGE chooses and builds the handlers of
// upload:process and report:generate on it.
func NewFiles(d *Deps) (*Files, error) {
	cfg := d.Config
	store, err := storage.New(context.Background(), storage.Config{
		Kind: cfg.Storage, S3Bucket: cfg.S3Bucket, S3Endpoint: cfg.S3Endpoint,
		LocalDir: cfg.LocalStorageDir, PublicBaseURL: publicOrigin(cfg.PublicBaseURL, cfg.HTTPAddr),
		TracerProvider: d.Tracing,
	})
	if err != nil {
		return nil, err
	}
	client := asynq.NewClientFromRedisClient(d.Redis)
	return &Files{
		Storage:   store,
		Processor: &uploads.Processor{DB: d.DB, Storage: store},
		Generator: &reports.Generator{DB: d.DB, Storage: store, Enqueue: client},
		Routes:    storage.Routes(store),
	}, nil
}

// publicOrigin is PUBLIC_BASE_URL, or this process on localhost when unset
// (jobs dev).
func publicOrigin(public, httpAddr string) string {
	if public != "" {
		return public
	}
	_, port, err := net.SplitHostPort(httpAddr)
	if err != nil || port == "" {
		port = "8080"
	}
	return "http://localhost:" + port
}
