package text

import (
	"slices"
	"strings"
	"unicode"
)

// Action is what an inbound message asks for.
type Action int

// The actions of an inbound message.
const (
	// None is any other message: nothing to do.
	None Action = iota
	// OptOut asks for no more messages.
	OptOut
	// OptIn takes an earlier opt-out back.
	OptIn
	// Help asks who is texting and how to stop.
	Help
)

// String returns the action as sms_opt_events.action spells it:
// "opt_out", "opt_in", "help", or "none".
func (a Action) String() string {
	switch a {
	case OptOut:
		return "opt_out"
	case OptIn:
		return "opt_in"
	case Help:
		return "help"
	default:
		return "none"
	}
}

// Twilio's standard keywords, matched on the whole message. OPTOUT and
// REVOKE, which Twilio added for the FCC's 2025 revocation rule, opt out
// too.
var (
	optOutWords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
	optInWords  = []string{"START", "YES", "UNSTOP"}
	helpWords   = []string{"HELP", "INFO"}
	// politeWords may come before a stop word: "please stop", "ok stop".
	politeWords = []string{"PLEASE", "PLS", "PLZ", "OK", "OKAY", "JUST", "KINDLY"}
	// stopPhrases opt out wherever they stand in the message.
	stopPhrases = [][]string{
		{"UNSUBSCRIBE"}, {"STOPALL"}, {"OPTOUT"},
		{"OPT", "OUT"}, {"OPT", "ME", "OUT"},
		{"PLEASE", "STOP"}, {"STOP", "TEXTING"}, {"STOP", "TEXTS"}, {"STOP", "MESSAGING"}, {"STOP", "MESSAGES"},
		{"STOP", "SENDING"}, {"STOP", "CONTACTING"},
		{"NO", "MORE", "TEXTS"}, {"NO", "MORE", "TEXT"}, {"NO", "MORE", "MESSAGES"}, {"NO", "MORE", "SMS"},
		{"REMOVE", "ME"}, {"TAKE", "ME", "OFF"},
		{"DONT", "TEXT"}, {"DO", "NOT", "TEXT"}, {"DONT", "MESSAGE"}, {"DO", "NOT", "MESSAGE"},
		{"DONT", "CONTACT"}, {"DO", "NOT", "CONTACT"},
	}
)

// ParseInbound returns what an inbound message asks for; see MatchInbound.
func ParseInbound(body string) Action {
	a, _ := MatchInbound(body)
	return a
}

// MatchInbound returns what an inbound message asks for and the keyword or
// phrase that decided it (upper case, e.g. "STOP", "NO MORE TEXTS"; empty
// for None), for sms_opt_events.body_keyword: the body itself is never
// stored.
//
// Matching is on words: the body is upper-cased, apostrophes dropped
// ("don't" is DONT) and every other character that is not a letter or a
// digit is a space, so case, surrounding spaces and punctuation ("Stop!",
// "stop.") do not matter and "stopover" is not STOP. Then, in order:
//
//  1. OptOut when the message consists of or starts with an opt-out keyword
//     (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE), also
//     after a politeness word ("please stop", "ok unsubscribe"), or holds
//     one of a few unambiguous phrases anywhere ("unsubscribe", "please
//     stop", "stop texting", "no more texts", "remove me", "do not text",
//     "opt out").
//     The rule errs on the side of opting out: "Cancel my 3pm" opts out
//     too, because failing to honour a real opt-out harms a customer and
//     the salon, and the opt-out confirmation tells the customer how to
//     come back (START).
//  2. OptIn when the message is exactly START, YES or UNSTOP.
//  3. Help when the message is exactly HELP or INFO.
//
// Anything else is None: a stop word later in a sentence ("can I stop by
// at 3?") does not opt out.
func MatchInbound(body string) (Action, string) {
	words := inboundWords(body)
	if len(words) == 0 {
		return None, ""
	}
	first := words[0]
	if slices.Contains(politeWords, first) && len(words) > 1 && slices.Contains(optOutWords, words[1]) {
		return OptOut, words[1]
	}
	if slices.Contains(optOutWords, first) {
		return OptOut, first
	}
	for _, p := range stopPhrases {
		if containsRun(words, p) {
			return OptOut, strings.Join(p, " ")
		}
	}
	if len(words) == 1 {
		switch {
		case slices.Contains(optInWords, first):
			return OptIn, first
		case slices.Contains(helpWords, first):
			return Help, first
		}
	}
	return None, ""
}

// inboundWords splits body into upper-case words of letters and digits.
func inboundWords(body string) []string {
	body = strings.NewReplacer("'", "", "’", "", "‘", "", "`", "").Replace(body)
	return strings.FieldsFunc(strings.ToUpper(body), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// containsRun reports whether run appears in words as consecutive words.
func containsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		if slices.Equal(words[i:i+len(run)], run) {
			return true
		}
	}
	return false
}
