package seslocal

import (
	"net/http"
	"testing"
)

// TestStartAndStop starts the emulator, reads its empty store, and checks
// that it refuses an unsigned SES call as the real service would.
func TestStartAndStop(t *testing.T) {
	t.Parallel()
	e := Start(t)
	if got := e.Emails(t); len(got) != 0 {
		t.Fatalf("a new emulator's store holds %d emails", len(got))
	}
	resp, err := http.Post(e.URL+"/v2/email/outbound-emails", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned SendEmail = %d, want 403", resp.StatusCode)
	}
}
