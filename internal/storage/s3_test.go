package storage_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/salonworks/jobs/internal/storage"
	"github.com/salonworks/jobs/internal/storage/storagetest"
)

// fakeS3 is gofakes3 in-process, recording the requests the SDK sends.
type fakeS3 struct {
	URL string
	mu  sync.Mutex
	req []*http.Request
}

func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	f := &fakeS3{}
	faker := gofakes3.New(s3mem.New()).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.req = append(f.req, r.Clone(context.Background()))
		f.mu.Unlock()
		faker.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeS3) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.req...)
}

// newS3 returns a store on a fresh bucket of f, built by NewS3 with the
// settings S3_ENDPOINT selects.
func newS3(t *testing.T, f *fakeS3, bucket string) *storage.S3 {
	t.Helper()
	ctx := context.Background()
	cfg := aws.Config{Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	s, err := storage.NewS3(ctx, storage.S3Config{Bucket: bucket, Endpoint: f.URL, AWS: &cfg})
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	admin := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: cfg.Credentials}, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(f.URL), true
	})
	if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return s
}

func TestS3Suite(t *testing.T) {
	t.Parallel()
	f := newFakeS3(t)
	var n int
	var mu sync.Mutex
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		mu.Lock()
		n++
		bucket := "salon-test-" + string(rune('a'+n))
		mu.Unlock()
		return newS3(t, f, bucket)
	})
}

// TestS3RequestsSuitCompatibleServers checks what S3-compatible servers
// need: path-style addresses and no checksum trailers nobody asked for.
func TestS3RequestsSuitCompatibleServers(t *testing.T) {
	t.Parallel()
	f := newFakeS3(t)
	s := newS3(t, f, "salon-compat")
	ctx := context.Background()
	if err := s.Put(ctx, "big.bin", storagetest.Pattern(3, 11<<20), storage.PutOptions{}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	storagetest.MustPut(t, s, "small.txt", []byte("hello"))
	if got := storagetest.ReadAll(t, s, "small.txt", 1, 3); string(got) != "ell" {
		t.Fatalf("ranged read %q, want %q", got, "ell")
	}
	var parts, ranged int
	for _, r := range f.requests() {
		if !strings.HasPrefix(r.URL.Path, "/salon-compat") {
			t.Errorf("%s %s is not path-style", r.Method, r.URL.Path)
		}
		for k := range r.Header {
			if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-checksum-") || lk == "x-amz-sdk-checksum-algorithm" || lk == "x-amz-trailer" {
				t.Errorf("%s %s carries %s", r.Method, r.URL.Path, k)
			}
		}
		if r.URL.Query().Has("partNumber") {
			parts++
		}
		if r.Header.Get("Range") == "bytes=1-3" {
			ranged++
		}
	}
	if parts != 3 || ranged != 1 {
		t.Errorf("saw %d part uploads and %d ranged GETs, want 3 and 1", parts, ranged)
	}
}

func TestNewS3NeedsARegionForAWS(t *testing.T) {
	t.Parallel()
	cfg := aws.Config{Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	if _, err := storage.NewS3(context.Background(), storage.S3Config{Bucket: "salon-uploads", AWS: &cfg}); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("NewS3 without region or endpoint = %v, want an error naming AWS_REGION", err)
	}
	cfg.Region = "eu-west-1"
	s, err := storage.NewS3(context.Background(), storage.S3Config{Bucket: "salon-uploads", AWS: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.URL(context.Background(), "reports/1/a.csv", storage.MaxLinkTTL)
	if err != nil || !strings.HasPrefix(link, "https://salon-uploads.s3.eu-west-1.amazonaws.com/reports/1/a.csv?") ||
		!strings.Contains(link, "X-Amz-Expires=604800") {
		t.Errorf("URL = %s, %v; want a virtual-hosted link valid 7 days", link, err)
	}
}
