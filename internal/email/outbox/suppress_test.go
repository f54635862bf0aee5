package outbox

import (
	"context"
	"errors"
	"testing"
)

func TestSuppression(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if err := f.store.Suppress(ctx, " Ana@Example.COM ", SuppressBounce); err != nil {
		t.Fatalf("Suppress() = %v", err)
	}
	// Again, with another reason: the first one stays.
	if err := f.store.Suppress(ctx, "ana@example.com", SuppressComplaint); err != nil {
		t.Fatalf("Suppress() again = %v", err)
	}
	tests := []struct {
		name, address, reason string
		suppressed            bool
	}{
		{name: "lowercase", address: "ana@example.com", reason: SuppressBounce, suppressed: true},
		{name: "mixed case", address: "ANA@example.com", reason: SuppressBounce, suppressed: true},
		{name: "other address", address: "bob@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, ok, err := f.store.Suppression(ctx, tt.address)
			if err != nil || ok != tt.suppressed || reason != tt.reason {
				t.Errorf("Suppression(%q) = %q, %v, %v; want %q, %v", tt.address, reason, ok, err, tt.reason, tt.suppressed)
			}
		})
	}
	removed, err := f.store.Unsuppress(ctx, "ANA@example.com")
	if err != nil || !removed {
		t.Fatalf("Unsuppress() = %v, %v; want removed", removed, err)
	}
	if _, ok, _ := f.store.Suppression(ctx, "ana@example.com"); ok {
		t.Error("address still suppressed after Unsuppress")
	}
}

func TestSuppressInvalid(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, address, reason string
	}{
		{name: "not an address", address: "ana", reason: SuppressManual},
		{name: "unknown reason", address: "ana@example.com", reason: "spam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.store.Suppress(context.Background(), tt.address, tt.reason); !errors.Is(err, ErrInvalid) {
				t.Errorf("Suppress() = %v, want ErrInvalid", err)
			}
		})
	}
}
