package twiliofake

import (
	"strings"
	"unicode/utf16"
)

// gsmBasic and gsmExtension are the GSM 03.38 default alphabet and its
// extension table (each extension character takes two septets).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// segments counts the SMS segments Twilio reports in num_segments: GSM-7
// bodies take 160 septets in one segment or 153 per segment when split,
// anything else is UCS-2 with 70 or 67 UTF-16 units.
func segments(body string) int {
	septets, gsm := 0, true
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			septets++
		case strings.ContainsRune(gsmExtension, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return split(septets, 160, 153)
	}
	return split(len(utf16.Encode([]rune(body))), 70, 67)
}

func split(n, single, multi int) int {
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}
