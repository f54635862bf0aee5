package reports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/internal/reports"
)

func TestAppointmentsExport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.seed()
	id := f.request(reports.TypeAppointmentsExport, s.salon, "2026-03-01", "2026-03-31")
	if err := generate(context.Background(), f.g, id); err != nil {
		t.Fatalf("Generate: %v", err)
	}

	r := f.row(id)
	wantKey := "reports/" + itoa(s.salon) + "/" + itoa(id) + "/appointments_2026-03-01_2026-03-31.csv"
	if r.Status != "done" || r.Progress != 100 || r.StorageKey != wantKey || !r.Finished || r.Error != "" {
		t.Fatalf("row = %+v, want done at 100%% with key %s", r, wantKey)
	}

	// The email carries the link, and the link gives the file back.
	emails := f.emails()
	mail, ok := emails["email:report:"+itoa(id)]
	if !ok || len(emails) != 1 {
		t.Fatalf("emails enqueued: %v, want one with task ID email:report:%d", emails, id)
	}
	wantData := map[string]any{
		"subject":   "Your appointments export is ready",
		"message":   "The appointments export of Brooklyn Nails for 1–31 March 2026 is ready. The link works until 9 April 2026, 09:30 UTC.",
		"link_url":  r.URL,
		"link_text": "Download the CSV file",
	}
	if diff := cmp.Diff(wantData, mail.Data); diff != "" || mail.To != "owner@brooklyn-nails.example" ||
		mail.Template != "notification" || mail.IdempotencyKey != "report:"+itoa(id) {
		t.Errorf("email %+v; data (-want +got):\n%s", mail, diff)
	}
	status, body := get(t, r.URL)
	if status != 200 {
		t.Fatalf("GET link = %d %s", status, body)
	}
	golden(t, "appointments_export.csv", body)
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(records) != 1+10 {
		t.Errorf("CSV holds %d records (%v), want a header and 10 rows", len(records), err)
	}

	// Seven days later the link has expired.
	f.clock.Advance(reports.LinkTTL)
	if status, _ := get(t, r.URL); status != 410 {
		t.Errorf("GET expired link = %d, want 410", status)
	}
	tampered := strings.Replace(r.URL, "appointments_", "appointmentz_", 1)
	if status, _ := get(t, tampered); status != 403 {
		t.Errorf("GET tampered link = %d, want 403", status)
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
