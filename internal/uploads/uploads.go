// Package uploads handles upload:process: a file a user uploaded straight
// to storage is checked against its purpose's rules (size from the stored
// object, type from its bytes), and an image is bounded in pixels before
// it is decoded, turned upright, stripped of metadata (no GPS or camera
// data is kept) and given thumbnail variants. The uploads row ends ready
// or rejected with a reason its owner can read.
package uploads

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/storage"
	"github.com/salonworks/jobs/internal/taskerr"
	taskupload "github.com/salonworks/jobs/tasks/upload"
)

// Processor handles upload:process.
//
// A rejection (wrong size, type or content) is permanent: the row says
// why, the stored object is deleted, and the task is archived without
// retries. Any other failure (storage or database unavailable) is retried
// by the queue; the row stays processing meanwhile, and a retry picks it
// up again. Everything a retry repeats writes the same keys, so a retry
// after a partial attempt converges.
type Processor struct {
	// DB holds the uploads table.
	DB *pgxpool.Pool
	// Storage holds the uploaded files and receives the variants.
	Storage storage.Storage
	// MaxPixels bounds an image's width × height; DefaultMaxPixels when 0.
	MaxPixels int64
	// Clock stamps processed_at; nil is the wall clock.
	Clock clock.Clock
}

// Process handles one attempt of upload:process: it processes the upload
// the payload names. The task itself is not needed.
func (p *Processor) Process(ctx context.Context, _ *asynq.Task, payload *taskupload.ProcessPayload) error {
	id := payload.UploadID
	u, err := claim(ctx, p.DB, id)
	switch {
	case errors.Is(err, errFinished):
		return nil
	case errors.Is(err, errNoUpload):
		return taskerr.Permanent(fmt.Sprintf("upload %d does not exist", id), err)
	case err != nil:
		return err
	}
	rule, ok := Rules[u.Purpose]
	if !ok {
		// The table's CHECK makes this a new purpose this build lacks.
		return taskerr.Permanent(fmt.Sprintf("upload %d: unknown purpose %q", id, u.Purpose), nil)
	}
	o, err := p.process(ctx, u, rule)
	if r, ok := asRejection(err); ok {
		return p.rejected(ctx, u, r, o)
	}
	if err != nil {
		return fmt.Errorf("process upload %d: %w", id, err)
	}
	return markReady(ctx, p.DB, id, o, p.Clock.Now())
}

// process checks and transforms the file; err is a *Rejection for a
// problem with the file.
func (p *Processor) process(ctx context.Context, u upload, rule Rule) (outcome, error) {
	var o outcome
	info, err := p.Storage.Stat(ctx, u.Key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return o, reject("the file was not found: the upload did not finish")
	case errors.Is(err, storage.ErrInvalidKey):
		return o, reject("the file's storage key is not valid")
	case err != nil:
		return o, err
	}
	o.Size = info.Size
	if info.Size == 0 {
		return o, reject("the file is empty")
	}
	if info.Size > rule.MaxBytes {
		return o, reject(fmt.Sprintf("the file is %s; %s may be at most %d MB",
			megabytes(info.Size), rule.Noun, rule.MaxBytes/MiB))
	}
	head, err := p.read(ctx, u.Key, sniffBytes)
	if err != nil {
		return o, err
	}
	o.Detected = detect(head)
	recorded, ok := rule.Types[o.Detected]
	if !ok {
		return o, reject(fmt.Sprintf("%s must be %s; this file is %s", capitalize(rule.Noun), rule.Kinds, typeName(o.Detected)))
	}
	o.ContentType = recorded
	o.Mismatch = mismatch(u.Declared, recorded)
	if !rule.Image {
		return o, nil
	}
	return p.image(ctx, u, rule, o)
}

// image runs the image pipeline and stores its output: variants first,
// then the stripped original over the upload, so the original never holds
// metadata once its variants are visible.
func (p *Processor) image(ctx context.Context, u upload, rule Rule, o outcome) (outcome, error) {
	// Images are at most rule.MaxBytes (5 MB): read once, decoded from
	// memory. One byte more catches an object replaced since Stat.
	data, err := p.read(ctx, u.Key, rule.MaxBytes+1)
	if err != nil {
		return o, err
	}
	if int64(len(data)) > rule.MaxBytes {
		return o, reject(fmt.Sprintf("the file is over %d MB", rule.MaxBytes/MiB))
	}
	maxPixels := p.MaxPixels
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	img, err := processImage(data, o.ContentType, maxPixels)
	if err != nil {
		return o, err
	}
	o.Variants = map[string]string{}
	for _, v := range variantSizes {
		enc := img.Variants[v.Name]
		key := u.Key + "." + v.Name + enc.Ext
		if err := p.put(ctx, key, enc); err != nil {
			return o, err
		}
		o.Variants[v.Name] = key
	}
	if err := p.put(ctx, u.Key, img.Original); err != nil {
		return o, err
	}
	o.ContentType = img.Original.ContentType
	o.Size = int64(len(img.Original.Data))
	o.Width, o.Height = img.Width, img.Height
	return o, nil
}

func (p *Processor) put(ctx context.Context, key string, enc encodedImage) error {
	err := p.Storage.Put(ctx, key, bytes.NewReader(enc.Data), storage.PutOptions{ContentType: enc.ContentType})
	if errors.Is(err, storage.ErrInvalidKey) {
		return reject("the file's storage key is not valid")
	}
	return err
}

// read returns up to n bytes from the start of key.
func (p *Processor) read(ctx context.Context, key string, n int64) ([]byte, error) {
	rc, err := p.Storage.Open(ctx, key, 0, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// rejected records the rejection, deletes the refused object and returns
// the permanent error that archives the task.
func (p *Processor) rejected(ctx context.Context, u upload, r *Rejection, o outcome) error {
	if err := markRejected(ctx, p.DB, u.ID, r.Reason, o, p.Clock.Now()); err != nil {
		return err
	}
	err := taskerr.Permanent(fmt.Sprintf("upload %d rejected: %s", u.ID, r.Reason), nil)
	// A refused file is never served; it goes. Failing to delete it does
	// not change the outcome, and the operator reads it on the task.
	if derr := p.Storage.Delete(ctx, u.Key); derr != nil && !errors.Is(derr, storage.ErrInvalidKey) {
		return errors.Join(err, fmt.Errorf("delete rejected file: %w", derr))
	}
	return err
}
