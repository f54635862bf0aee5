package redact

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorMasksTextAndKeepsTheChain(t *testing.T) {
	sentinel := errors.New("refused")
	err := Error(fmt.Errorf("to %q: %w", "ana@example.com", sentinel))
	if strings.Contains(err.Error(), "ana@example.com") {
		t.Errorf("Error() = %q shows the address", err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%v, sentinel) = false, want true", err)
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}
