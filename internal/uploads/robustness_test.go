package uploads_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/salonworks/jobs/internal/storage"
	"github.com/salonworks/jobs/internal/taskerr"
)

// TestPixelBombRefusedBeforeDecoding is not parallel: it measures what the
// process allocates while it runs.
func TestPixelBombRefusedBeforeDecoding(t *testing.T) {
	f := newFixture(t)
	bomb := pngBomb(20000, 20000)
	id := f.upload("profile_image", "bomb/huge.png", "image/png", bomb)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := process(context.Background(), f.p, id)
	runtime.ReadMemStats(&after)

	const want = "the image is 20000 × 20000 pixels; at most 40 megapixels are allowed"
	if r := f.row(id); r.Status != "rejected" || r.RejectReason != want {
		t.Fatalf("row = %s %q, want rejected %q", r.Status, r.RejectReason, want)
	}
	if !taskerr.IsPermanent(err) {
		t.Errorf("error %v is not permanent", err)
	}
	// Decoding would allocate 20000 × 20000 × 4 = 1.6 GB.
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d-byte PNG declaring 400 megapixels: %d KB allocated while refusing it", len(bomb), allocated/1024)
	if allocated > 8<<20 {
		t.Errorf("refusing the bomb allocated %d MB, want under 8 MB", allocated>>20)
	}
}

// flaky fails the first call of one operation, as an unreachable store
// would.
type flaky struct {
	storage.Storage
	op   string
	mu   sync.Mutex
	done bool
}

var errOutage = errors.New("connection reset by peer")

func (s *flaky) fail(op string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op == s.op && !s.done {
		s.done = true
		return errOutage
	}
	return nil
}

func (s *flaky) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := s.fail("Stat"); err != nil {
		return storage.Info{}, err
	}
	return s.Storage.Stat(ctx, key)
}

func (s *flaky) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := s.fail("Open"); err != nil {
		return nil, err
	}
	return s.Storage.Open(ctx, key, off, n)
}

func (s *flaky) Put(ctx context.Context, key string, r io.Reader, o storage.PutOptions) error {
	if err := s.fail("Put"); err != nil {
		return err
	}
	return s.Storage.Put(ctx, key, r, o)
}

func TestStorageErrorsAreRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, op := range []string{"Stat", "Open", "Put"} {
		t.Run(op, func(t *testing.T) {
			p := *f.p
			p.Storage = &flaky{Storage: f.store, op: op}
			key := "retry/" + op + ".jpg"
			id := f.upload("profile_image", key, "image/jpeg", jpegBytes(t, halves(64, 64)))
			err := process(context.Background(), &p, id)
			if !errors.Is(err, errOutage) || taskerr.IsPermanent(err) {
				t.Fatalf("first attempt = %v, want the outage as an ordinary (retried) error", err)
			}
			if r := f.row(id); r.Status != "processing" {
				t.Fatalf("after a failed attempt the row is %s, want processing", r.Status)
			}
			if f.read(key) == nil {
				t.Fatal("a storage error deleted the upload")
			}
			// The queue's retry.
			if err := process(context.Background(), &p, id); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if r := f.row(id); r.Status != "ready" || len(r.Variants) != 2 || !r.Processed {
				t.Errorf("after the retry the row is %+v, want ready with 2 variants", r)
			}
		})
	}
}
