//lint:file-ignore SA1019 feature/s3/manager is deprecated for feature/s3/transfermanager, which is still v0.x (no stable API); manager is the stable uploader the SDK still ships.

package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"go.opentelemetry.io/otel/trace"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/salonworks/jobs/internal/tracing"
)

// S3 keeps objects in one bucket (STORAGE=s3).
type S3 struct {
	client   *s3.Client
	presign  *s3.PresignClient
	uploader *manager.Uploader
	bucket   string
}

var _ Storage = (*S3)(nil)

// S3Config says where the bucket is.
type S3Config struct {
	// Bucket is the bucket's name (S3_BUCKET).
	Bucket string
	// Endpoint overrides the S3 endpoint (S3_ENDPOINT), for S3-compatible
	// servers and fakes; it also switches to path-style addressing, which
	// they expect.
	Endpoint string
	// AWS is the SDK configuration; nil loads the SDK's default chain
	// (environment, shared files, the ECS task role), which also gives
	// the region.
	AWS *aws.Config
	// TracerProvider receives a client span per request made under a
	// traced context, named by its operation (never the object key); nil
	// traces nothing.
	TracerProvider trace.TracerProvider
}

// Upload tuning: each Put buffers up to PartSize × (Concurrency + 1)
// bytes, whatever the object's size.
const (
	s3PartSize    = manager.MinUploadPartSize // 5 MiB: at most 50 GiB in 10,000 parts
	s3Concurrency = 2
)

// NewS3 returns the store of cfg.Bucket. Requests carry checksums only
// where S3 requires them, and responses are checked only then: the SDK's
// default (CRC32 on every upload, aws-chunked trailers) is refused by many
// S3-compatible servers, and SigV4 already covers the payload's integrity.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	var ac aws.Config
	if cfg.AWS != nil {
		ac = cfg.AWS.Copy()
	} else {
		var err error
		if ac, err = awsconfig.LoadDefaultConfig(ctx); err != nil {
			return nil, fmt.Errorf("s3: load AWS configuration: %w", err)
		}
	}
	switch {
	case ac.Region == "" && cfg.Endpoint != "":
		// S3-compatible servers rarely care, but SigV4 needs a region.
		ac.Region = "us-east-1"
	case ac.Region == "":
		return nil, errors.New("s3: no AWS region: set AWS_REGION (ECS sets it for tasks)")
	}
	if !tracing.IsOff(cfg.TracerProvider) {
		if ac.HTTPClient == nil {
			ac.HTTPClient = awshttp.NewBuildableClient()
		}
		ac.HTTPClient = tracing.Client(ac.HTTPClient, cfg.TracerProvider, "s3", tracing.AWSRoute)
	}
	client := s3.NewFromConfig(ac, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return NewS3FromClient(client, cfg.Bucket), nil
}

// NewS3FromClient returns the store of bucket through client.
func NewS3FromClient(client *s3.Client, bucket string) *S3 {
	up := manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize = s3PartSize
		u.Concurrency = s3Concurrency
		u.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	return &S3{client: client, presign: s3.NewPresignClient(client), uploader: up, bucket: bucket}
}

// Open implements Storage with a ranged GetObject.
func (s *S3) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("open %q at %d: %w", key, offset, ErrInvalidRange)
	}
	if length == 0 {
		// HTTP cannot ask for zero bytes; check the range and read none.
		info, err := s.Stat(ctx, key)
		if err != nil {
			return nil, err
		}
		if offset > info.Size || (offset == info.Size && info.Size > 0) {
			return nil, fmt.Errorf("open %q at %d of %d bytes: %w", key, offset, info.Size, ErrInvalidRange)
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	switch {
	case length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, s3Error("open", key, err)
	}
	return out.Body, nil
}

// Stat implements Storage with HeadObject.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return Info{}, s3Error("stat", key, err)
	}
	return Info{Size: aws.ToInt64(out.ContentLength)}, nil
}

// Put implements Storage: one PutObject for a small object, a multipart
// upload in parts of s3PartSize otherwise; the uploader aborts a failed
// multipart upload, so no part is left behind.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: ctxReader{ctx, r}}
	if opts.ContentType != "" {
		in.ContentType = aws.String(opts.ContentType)
	}
	if opts.ContentDisposition != "" {
		in.ContentDisposition = aws.String(opts.ContentDisposition)
	}
	if _, err := s.uploader.Upload(ctx, in); err != nil {
		return s3Error("put", key, err)
	}
	return nil
}

// URL implements Storage with a pre-signed GetObject. Such a URL stops
// working when the credentials that signed it expire: with an ECS task
// role that is hours, not days (see the README).
func (s *S3) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > MaxLinkTTL {
		return "", fmt.Errorf("link to %q: validity %s is not within (0, %s]", key, ttl, MaxLinkTTL)
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", s3Error("sign link to", key, err)
	}
	return req.URL, nil
}

// Delete implements Storage.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil {
		if err := s3Error("delete", key, err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// s3Error wraps err, mapping "no such key" to ErrNotFound and a range past
// the end to ErrInvalidRange.
func s3Error(op, key string, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return fmt.Errorf("%s %q: %w", op, key, ErrNotFound)
		case "InvalidRange":
			return fmt.Errorf("%s %q: %w", op, key, ErrInvalidRange)
		}
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		switch respErr.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("%s %q: %w", op, key, ErrNotFound)
		case http.StatusRequestedRangeNotSatisfiable:
			return fmt.Errorf("%s %q: %w", op, key, ErrInvalidRange)
		}
	}
	return fmt.Errorf("%s %q: %w", op, key, err)
}
