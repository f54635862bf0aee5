// Package checktest helps the tests of the task families compare
// validation errors.
package checktest

import (
	"errors"
	"testing"

	"github.com/salonworks/jobs/tasks/internal/check"
)

// Problems returns the "field: problem" lines of err, nil for a nil err. It
// fails the test when err is not a *check.ValidationError of kind, or does
// not match check.ErrInvalid.
func Problems(t testing.TB, kind string, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *check.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %q (%T) is not a *ValidationError", err, err)
	}
	if !errors.Is(err, check.ErrInvalid) {
		t.Errorf("errors.Is(%q, ErrInvalid) = false", err)
	}
	if ve.Kind != kind {
		t.Errorf("ValidationError.Kind = %q, want %q", ve.Kind, kind)
	}
	lines := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		lines[i] = p.Error()
	}
	return lines
}
