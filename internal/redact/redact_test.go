package redact

import "testing"

func TestPhone(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"e164", "+15555550123", "+1********23"},
		{"uk", "+447911123456", "+4*********56"},
		{"formatted", "(555) 555-0123", "(5**) ***-**23"},
		{"too short", "1234", "****"},
		{"arabic-indic digits", "+٩٧١٥٠١٢٣٤٥٦٧", "+٩*********٦٧"},
		{"french spacing", "+33 6 12 34 56 78", "+3* * ** ** ** 78"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Phone(tt.in); got != tt.want {
				t.Errorf("Phone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "jane.doe@example.com", "j***@example.com"},
		{"no at", "nobody", "***"},
		{"leading at", "@example.com", "***"},
		{"accented local part", "josé@example.com", "j***@example.com"},
		{"accented first letter", "élodie@exämple.fr", "é***@exämple.fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Email(tt.in); got != tt.want {
				t.Errorf("Email(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"json payload", `{"to":"+15555550123","email":"jane@example.com","salon_id":42}`,
			`{"to":"+1********23","email":"j***@example.com","salon_id":42}`},
		{"ids untouched", `{"upload_id":1234567}`, `{"upload_id":1234567}`},
		{"date untouched", `{"date":"2026-11-21"}`, `{"date":"2026-11-21"}`},
		{"timestamp untouched", `{"at":"2026-11-21T10:00:00Z","n":1763719200}`, `{"at":"2026-11-21T10:00:00Z","n":1763719200}`},
		{"spaced number", "call 555 555 0123 now", "call 5** *** **23 now"},
		{"internationalised address", "sent to josé@example.com", "sent to j***@example.com"},
		{"address in another script", "to почта@пример.рф ok", "to п***@пример.рф ok"},
		{"number with no-break spaces", "call +44 20 7946 0958", "call +4* ** **** **58"},
		{"signed link", "ready: https://bucket.s3.amazonaws.com/exports/1.csv?X-Amz-Signature=abc&X-Amz-Expires=604800 (7 days)",
			"ready: https://bucket.s3.amazonaws.com/exports/1.csv?[redacted] (7 days)"},
		{"fragment", "https://app.example/reset#token=abc", "https://app.example/reset?[redacted]"},
		{"user info", "redis://user:hunter2@cache.internal:6379/0", "redis://[redacted]@cache.internal:6379/0"},
		{"secret pairs", `token=abc123 "password": "hunter2" api_key=k1`, `token=[redacted] "password": "[redacted]" api_key=[redacted]`},
		{"nothing to do", "claim message 42: row moved on", "claim message 42: row moved on"},
		{"stream entry id", "dead letter 1764748988490-0 replayed", "dead letter 1764748988490-0 replayed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}
