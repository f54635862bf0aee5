package text

import "unicode/utf16"

// Encodings a body is sent in, as stored in sms_messages.encoding.
const (
	// EncodingGSM7 is the GSM 03.38 default alphabet, 7 bits a character.
	EncodingGSM7 = "GSM-7"
	// EncodingUCS2 is UTF-16, 16 bits a code unit; a body falls back to it
	// when a single character is outside GSM-7.
	EncodingUCS2 = "UCS-2"
)

// Capacity of one segment. A concatenated message loses room to the user
// data header (6 octets) in every part.
const (
	gsm7Single = 160 // septets
	gsm7Multi  = 153
	ucs2Single = 70 // UTF-16 code units
	ucs2Multi  = 67
)

// gsm7Basic is the GSM 03.38 default alphabet, one septet each. The escape
// code 0x1B is left out: it is not a character a body can contain.
const gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅå" +
	"Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ" +
	" !\"#¤%&'()*+,-./" +
	"0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§" +
	"¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsm7Extension holds the characters of the extension table, sent as an
// escape septet followed by their code: two septets each.
const gsm7Extension = "\f^{}\\[~]|€"

// gsm7Septets maps every GSM-7 character to the septets it takes.
var gsm7Septets = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsm7Basic {
		m[r] = 1
	}
	for _, r := range gsm7Extension {
		m[r] = 2
	}
	return m
}()

// Segments returns how many SMS segments body is billed as and the
// encoding it goes out in. A body made only of GSM-7 characters is GSM-7:
// up to 160 septets in one segment, else 153 per segment, an extension
// character (^ { } \ [ ] ~ | € and form feed) taking two septets that are
// never split across segments. Any other character makes the whole body
// UCS-2: up to 70 UTF-16 code units in one segment, else 67 per segment,
// a surrogate pair (an emoji, say) never split. An empty body is one
// segment, as a carrier still sends one part.
//
// The count is of the body as given: Twilio's Smart Encoding, which may
// replace look-alike characters such as curly quotes before sending, is not
// applied, so the count is an upper bound when it is on.
func Segments(body string) (segments int, encoding string) {
	units := make([]int, 0, len(body))
	gsm := true
	for _, r := range body {
		n, ok := gsm7Septets[r]
		if !ok {
			gsm = false
			break
		}
		units = append(units, n)
	}
	if gsm {
		return pack(units, gsm7Single, gsm7Multi), EncodingGSM7
	}
	units = units[:0]
	for _, r := range body {
		// Invalid UTF-8 ranges as U+FFFD, one code unit, which is what a
		// sender would have to put in its place.
		units = append(units, utf16.RuneLen(r))
	}
	return pack(units, ucs2Single, ucs2Multi), EncodingUCS2
}

// pack counts the segments that characters of the given widths fill:
// one when they all fit in single, else parts of at most multi, a character
// that does not fit whole in the current part starting the next one.
func pack(widths []int, single, multi int) int {
	total := 0
	for _, w := range widths {
		total += w
	}
	if total <= single {
		return 1
	}
	parts, used := 1, 0
	for _, w := range widths {
		if used+w > multi {
			parts++
			used = 0
		}
		used += w
	}
	return parts
}
