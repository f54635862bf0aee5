package outbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestCreateOncePerKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	first, created, err := f.store.Create(ctx, "welcome:42", "welcome", "Ana@Example.com")
	if err != nil || !created {
		t.Fatalf("first Create() = %v, created %v", err, created)
	}
	if first.Status != StatusPending || first.Attempts != 0 || first.To != "Ana@Example.com" {
		t.Errorf("new row = %+v, want pending, 0 attempts, recipient as given", first)
	}
	// The same email again, the recipient in another case: the same row.
	again, created, err := f.store.Create(ctx, "welcome:42", "welcome", "ana@example.com")
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("second Create() = id %d, created %v, %v; want id %d, not created", again.ID, created, err, first.ID)
	}
}

func TestCreateConcurrentOneRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var (
		wg      sync.WaitGroup
		created atomic.Int32
		ids     sync.Map
	)
	for range 10 {
		wg.Go(func() {
			m, c, err := f.store.Create(context.Background(), "race", "welcome", "ana@example.com")
			if err != nil {
				t.Errorf("Create() = %v", err)
				return
			}
			if c {
				created.Add(1)
			}
			ids.Store(m.ID, true)
		})
	}
	wg.Wait()
	n := 0
	ids.Range(func(any, any) bool { n++; return true })
	if created.Load() != 1 || n != 1 {
		t.Fatalf("10 concurrent creates: %d created, %d distinct ids; want 1 and 1", created.Load(), n)
	}
}

func TestCreateKeyReused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, _, err := f.store.Create(ctx, "k1", "welcome", "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, template, to string
	}{
		{name: "another template", template: "notification", to: "ana@example.com"},
		{name: "another recipient", template: "welcome", to: "bob@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.store.Create(ctx, "k1", tt.template, tt.to)
			if !errors.Is(err, ErrKeyReused) {
				t.Fatalf("Create() = %v, want ErrKeyReused", err)
			}
		})
	}
}

func TestCreateInvalid(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, key, template, to string
		want                    string
	}{
		{name: "empty key", key: " ", template: "welcome", to: "a@b.co", want: "idempotency key is empty"},
		{name: "long key", key: strings.Repeat("é", 256), template: "welcome", to: "a@b.co", want: "256 characters long, at most 255"},
		{name: "bad template", key: "k", template: "Welcome!", to: "a@b.co", want: `template name "Welcome!"`},
		{name: "bad recipient", key: "k", template: "welcome", to: "ana at example.com", want: "recipient is not an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := f.store.Create(context.Background(), tt.key, tt.template, tt.to)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Create() = %v, want ErrInvalid saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "ana at") {
				t.Errorf("error %q quotes the recipient", err)
			}
		})
	}
}
