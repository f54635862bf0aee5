package text

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestBodiesGolden(t *testing.T) {
	t.Parallel()
	ny := mustZone(t, "America/New_York")
	// Segments and encoding are part of the contract: a template change
	// that makes a common message cost two segments, or UCS-2, shows here.
	tests := []struct {
		name     string
		body     string
		segments int
		encoding string
	}{
		{name: "confirmation", body: ConfirmationBody("Demo Salon", "Maria", utc("2026-11-24T19:30:00Z"), ny), segments: 1, encoding: EncodingGSM7},
		{name: "confirmation_no_first_name", body: ConfirmationBody("Demo Salon", "  ", utc("2026-11-24T19:30:00Z"), ny), segments: 1, encoding: EncodingGSM7},
		{name: "confirmation_messy_names", body: ConfirmationBody(" Chez\tAnnie\n", "Zoë  ", utc("2026-06-02T13:05:00Z"), mustZone(t, "Europe/London")), segments: 2, encoding: EncodingUCS2},
		{name: "review", body: ReviewBody("Demo Salon", "Wei", "https://example.com/demo-salon/review"), segments: 1, encoding: EncodingGSM7},
		{name: "review_no_link", body: ReviewBody("Demo Salon", "Wei", ""), segments: 1, encoding: EncodingGSM7},
		{name: "opt_out_reply", body: OptOutReply, segments: 1, encoding: EncodingGSM7},
		{name: "opt_in_reply", body: OptInReply, segments: 1, encoding: EncodingGSM7},
		{name: "marketing_appended", body: MarketingBody("Spring special: 20% off all color services this week! Book at https://example.com/book  \n"), segments: 1, encoding: EncodingGSM7},
		{name: "marketing_own_opt_out", body: MarketingBody("Spring special: 20% off color this week. Text STOP to 12345 to opt out."), segments: 1, encoding: EncodingGSM7},
		{name: "marketing_stop_is_not_an_instruction", body: MarketingBody("Don't stop by without booking! New hours from Monday."), segments: 1, encoding: EncodingGSM7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			golden(t, tt.name, tt.body)
			if err := ValidateBody(tt.body); err != nil {
				t.Errorf("ValidateBody() = %v", err)
			}
			if n, enc := Segments(tt.body); n != tt.segments || enc != tt.encoding {
				t.Errorf("Segments() = %d, %s; want %d, %s", n, enc, tt.segments, tt.encoding)
			}
		})
	}
}

func TestConfirmationBodyTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		at   string
		zone string
		want string
	}{
		{name: "New York afternoon", at: "2026-11-24T19:30:00Z", zone: "America/New_York", want: "Tue Nov 24 at 2:30 PM"},
		{name: "New York day after fall back", at: "2026-11-01T14:30:00Z", zone: "America/New_York", want: "Sun Nov 1 at 9:30 AM"},
		{name: "New York day before fall back", at: "2026-10-31T14:30:00Z", zone: "America/New_York", want: "Sat Oct 31 at 10:30 AM"},
		{name: "London summer", at: "2026-06-02T08:00:00Z", zone: "Europe/London", want: "Tue Jun 2 at 9:00 AM"},
		{name: "Sydney, next day there", at: "2026-06-02T23:15:00Z", zone: "Australia/Sydney", want: "Wed Jun 3 at 9:15 AM"},
		{name: "noon and midnight", at: "2026-06-02T12:00:00Z", zone: "UTC", want: "Tue Jun 2 at 12:00 PM"},
		{name: "nil zone is UTC", at: "2026-06-02T00:05:00Z", zone: "", want: "Tue Jun 2 at 12:05 AM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var loc *time.Location
			if tt.zone != "" {
				loc = mustZone(t, tt.zone)
			}
			body := ConfirmationBody("S", "F", utc(tt.at), loc)
			if !strings.Contains(body, " on "+tt.want+". ") {
				t.Errorf("ConfirmationBody() = %q, want the time %q", body, tt.want)
			}
		})
	}
}

func TestMarketingBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		appended bool
	}{
		{name: "no instruction", body: "20% off today", appended: true},
		{name: "Reply STOP", body: "20% off today. Reply STOP to opt out", appended: false},
		{name: "lower case reply stop", body: "20% off today, reply stop to unsubscribe", appended: false},
		{name: "quoted STOP", body: `20% off. Reply "STOP" to end`, appended: false},
		{name: "reply with stop", body: "20% off. Reply with stop to end", appended: false},
		{name: "STOP to", body: "20% off. STOP to end", appended: false},
		{name: "stop as a verb", body: "Stop in for 20% off", appended: true},
		{name: "stopover", body: "Stopover special: reply STOPOVER", appended: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := MarketingBody(tt.body)
			want := tt.body
			if tt.appended {
				want += "\n" + OptOutLine
			}
			if got != want {
				t.Errorf("MarketingBody(%q) = %q, want %q", tt.body, got, want)
			}
		})
	}
	if got := MarketingBody(" \n "); got != "" {
		t.Errorf("MarketingBody(blank) = %q, want empty", got)
	}
}

func TestValidateBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{name: "one character", body: "a"},
		{name: "1600 characters of two bytes", body: strings.Repeat("é", 1600)},
		{name: "1600 emoji", body: strings.Repeat("😀", 1600)},
		{name: "empty", body: "", wantErr: "invalid sms body: empty"},
		{name: "spaces only", body: " \n\t", wantErr: "invalid sms body: empty"},
		{name: "1601 characters", body: strings.Repeat("é", 1601), wantErr: "invalid sms body: 1601 characters long, at most 1600 allowed"},
		{name: "invalid UTF-8", body: "a\xffb", wantErr: "invalid sms body: not valid UTF-8"},
		{name: "NUL", body: "a\x00b", wantErr: "invalid sms body: contains a NUL character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateBody(tt.body)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateBody() = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrInvalidBody) {
				t.Fatalf("ValidateBody() = %v, want %q wrapping ErrInvalidBody", err, tt.wantErr)
			}
		})
	}
}
