package text

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSegments(t *testing.T) {
	t.Parallel()
	type result struct {
		Segments int
		Encoding string
	}
	a := strings.Repeat
	tests := []struct {
		name string
		body string
		want result
	}{
		{name: "empty is one part", body: "", want: result{1, EncodingGSM7}},
		{name: "plain 160 fits one", body: a("a", 160), want: result{1, EncodingGSM7}},
		{name: "plain 161 needs two", body: a("a", 161), want: result{2, EncodingGSM7}},
		{name: "plain 306 is two full parts", body: a("a", 306), want: result{2, EncodingGSM7}},
		{name: "plain 307 needs three", body: a("a", 307), want: result{3, EncodingGSM7}},
		{name: "whole basic alphabet is GSM-7", body: gsm7Basic, want: result{1, EncodingGSM7}},
		{name: "accents of the basic set stay GSM-7", body: "Café Müller, Señor Ñoño à 9h", want: result{1, EncodingGSM7}},
		{name: "euro counts two septets: 158+€ is 160", body: a("a", 158) + "€", want: result{1, EncodingGSM7}},
		{name: "euro counts two septets: 159+€ is 161", body: a("a", 159) + "€", want: result{2, EncodingGSM7}},
		{name: "every extension character counts two", body: a("a", 140) + "^{}\\[~]|€\f", want: result{1, EncodingGSM7}},
		{name: "one more septet than that", body: a("a", 141) + "^{}\\[~]|€\f", want: result{2, EncodingGSM7}},
		// 152 septets then an escape pair: it does not fit in part one's 153,
		// so it moves whole to part two.
		{name: "escape pair is not split", body: a("a", 152) + "€" + a("a", 151), want: result{2, EncodingGSM7}},
		{name: "escape pair not split pushes a third part", body: a("a", 152) + "€" + a("a", 152), want: result{3, EncodingGSM7}},
		{name: "escape pair ending part one exactly", body: a("a", 151) + "€" + a("a", 153), want: result{2, EncodingGSM7}},
		{name: "acute ú is not GSM-7", body: "Ñandú", want: result{1, EncodingUCS2}},
		{name: "lowercase ç is not GSM-7", body: "Façade", want: result{1, EncodingUCS2}},
		{name: "curly quote makes UCS-2", body: "It’s booked", want: result{1, EncodingUCS2}},
		{name: "backtick makes UCS-2", body: "`", want: result{1, EncodingUCS2}},
		{name: "tab makes UCS-2", body: "a\tb", want: result{1, EncodingUCS2}},
		{name: "UCS-2 70 units fit one", body: a("ж", 70), want: result{1, EncodingUCS2}},
		{name: "UCS-2 71 units need two", body: a("ж", 71), want: result{2, EncodingUCS2}},
		{name: "UCS-2 multipart is 67 a part", body: a("ж", 134), want: result{2, EncodingUCS2}},
		{name: "UCS-2 135 units need three", body: a("ж", 135), want: result{3, EncodingUCS2}},
		{name: "emoji is two units: 68+emoji is 70", body: a("a", 68) + "😀", want: result{1, EncodingUCS2}},
		{name: "emoji is two units: 69+emoji is 71", body: a("a", 69) + "😀", want: result{2, EncodingUCS2}},
		{name: "35 emoji are 70 units", body: a("😀", 35), want: result{1, EncodingUCS2}},
		{name: "36 emoji are 72 units", body: a("😀", 36), want: result{2, EncodingUCS2}},
		// 66 units then a surrogate pair: it moves whole to part two.
		{name: "surrogate pair is not split", body: a("a", 66) + "😀" + a("a", 65), want: result{2, EncodingUCS2}},
		{name: "surrogate pair not split pushes a third part", body: a("a", 66) + "😀" + a("a", 66), want: result{3, EncodingUCS2}},
		{name: "GSM extension character in UCS-2 is one unit", body: a("€", 69) + "ж", want: result{1, EncodingUCS2}},
		{name: "invalid UTF-8 is UCS-2", body: "a\xffb", want: result{1, EncodingUCS2}},
		{name: "longest body, GSM-7", body: a("a", 1600), want: result{11, EncodingGSM7}},
		{name: "longest body, UCS-2", body: a("ж", 1600), want: result{24, EncodingUCS2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, enc := Segments(tt.body)
			if diff := cmp.Diff(tt.want, result{n, enc}); diff != "" {
				t.Errorf("Segments() (-want +got):\n%s", diff)
			}
		})
	}
}
