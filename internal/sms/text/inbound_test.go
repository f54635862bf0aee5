package text

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatchInbound(t *testing.T) {
	t.Parallel()
	type match struct {
		Action  string
		Keyword string
	}
	out := func(k string) match { return match{"opt_out", k} }
	none := match{"none", ""}
	tests := []struct {
		name string
		body string
		want match
	}{
		{name: "STOP", body: "STOP", want: out("STOP")},
		{name: "lower case", body: "stop", want: out("STOP")},
		{name: "mixed case and spaces", body: "  Stop \n", want: out("STOP")},
		{name: "exclamation", body: "Stop!", want: out("STOP")},
		{name: "period", body: "stop.", want: out("STOP")},
		{name: "quoted", body: `"STOP"`, want: out("STOP")},
		{name: "STOPALL", body: "stopall", want: out("STOPALL")},
		{name: "UNSUBSCRIBE", body: "Unsubscribe", want: out("UNSUBSCRIBE")},
		{name: "CANCEL", body: "CANCEL", want: out("CANCEL")},
		{name: "END", body: "end", want: out("END")},
		{name: "QUIT", body: "Quit.", want: out("QUIT")},
		{name: "OPTOUT", body: "optout", want: out("OPTOUT")},
		{name: "REVOKE", body: "Revoke", want: out("REVOKE")},
		{name: "stop texting me", body: "stop texting me", want: out("STOP")},
		{name: "stop with emoji", body: "STOP 😡😡", want: out("STOP")},
		{name: "please stop", body: "please stop", want: out("STOP")},
		{name: "ok stop", body: "Ok, STOP", want: out("STOP")},
		{name: "unsubscribe me", body: "unsubscribe me", want: out("UNSUBSCRIBE")},
		{name: "no more texts", body: "No more texts", want: out("NO MORE TEXTS")},
		{name: "remove me", body: "remove me", want: out("REMOVE ME")},
		{name: "remove me from your list", body: "Please remove me from your list", want: out("REMOVE ME")},
		{name: "stop texting inside a sentence", body: "Can you stop texting me?", want: out("STOP TEXTING")},
		{name: "please stop inside a sentence", body: "Yes, please stop.", want: out("PLEASE STOP")},
		{name: "unsubscribe anywhere", body: "how do I unsubscribe from this", want: out("UNSUBSCRIBE")},
		{name: "don't text with apostrophe", body: "Don't text me again", want: out("DONT TEXT")},
		{name: "don’t text with curly apostrophe", body: "don’t text me", want: out("DONT TEXT")},
		{name: "do not contact", body: "do not contact me", want: out("DO NOT CONTACT")},
		{name: "opt me out", body: "opt me out", want: out("OPT ME OUT")},
		{name: "take me off", body: "take me off this list", want: out("TAKE ME OFF")},
		{name: "starts with a stop word errs on opting out", body: "Cancel my appointment tomorrow", want: out("CANCEL")},
		{name: "START", body: "START", want: match{"opt_in", "START"}},
		{name: "yes", body: "yes", want: match{"opt_in", "YES"}},
		{name: "unstop", body: "Unstop!", want: match{"opt_in", "UNSTOP"}},
		{name: "HELP", body: "HELP", want: match{"help", "HELP"}},
		{name: "info with question mark", body: "info?", want: match{"help", "INFO"}},
		{name: "stopover is not stop", body: "stopover at 3?", want: none},
		{name: "stop later in a sentence", body: "Can I stop by at 3?", want: none},
		{name: "start in a sentence is not opt-in", body: "what time does it start", want: none},
		{name: "yes in a sentence is not opt-in", body: "yes see you then", want: none},
		{name: "help in a sentence is not help", body: "help me reschedule", want: none},
		{name: "thanks", body: "Thanks, see you Tuesday!", want: none},
		{name: "ending is not end", body: "Ending soon?", want: none},
		{name: "empty", body: "", want: none},
		{name: "punctuation only", body: "?!", want: none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, k := MatchInbound(tt.body)
			if diff := cmp.Diff(tt.want, match{a.String(), k}); diff != "" {
				t.Errorf("MatchInbound(%q) (-want +got):\n%s", tt.body, diff)
			}
			if got := ParseInbound(tt.body); got != a {
				t.Errorf("ParseInbound(%q) = %v, MatchInbound says %v", tt.body, got, a)
			}
		})
	}
}
