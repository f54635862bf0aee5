package text

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// MaxBodyRunes bounds a body, in characters: Twilio's limit, and the
// sms_messages.body check.
const MaxBodyRunes = tasksms.MaxBodyRunes

// OptOutLine is how every message the daemon composes tells the customer
// to opt out.
const OptOutLine = "Reply STOP to opt out."

// OptOutReply confirms an opt-out that Twilio did not handle itself (a
// free-text one such as "stop texting me": Twilio answers its exact
// keywords on its own), the one message an opted-out number may get.
const OptOutReply = "You are unsubscribed and will get no more messages from us. Reply START to resubscribe."

// OptInReply confirms an opt-in that Twilio did not answer itself.
const OptInReply = "You are resubscribed and may get messages from us again. " + OptOutLine

// StartsAtLayout shows an appointment time in the salon's zone, e.g.
// "Tue Nov 24 at 2:30 PM". The year is left out: confirmations go out at
// most a day ahead.
const StartsAtLayout = "Mon Jan 2 at 3:04 PM"

// ErrInvalidBody is wrapped by ValidateBody's errors: a body that can never
// be sent, so retrying is pointless.
var ErrInvalidBody = errors.New("invalid sms body")

// ValidateBody refuses a body that is empty or only spaces, longer than
// MaxBodyRunes characters, not valid UTF-8, or holding a NUL character.
// Its errors wrap ErrInvalidBody and never quote the body.
func ValidateBody(body string) error {
	switch n := utf8.RuneCountInString(body); {
	case strings.TrimSpace(body) == "":
		return fmt.Errorf("%w: empty", ErrInvalidBody)
	case !utf8.ValidString(body):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidBody)
	case n > MaxBodyRunes:
		return fmt.Errorf("%w: %d characters long, at most %d allowed", ErrInvalidBody, n, MaxBodyRunes)
	case strings.ContainsRune(body, 0):
		return fmt.Errorf("%w: contains a NUL character", ErrInvalidBody)
	}
	return nil
}

// ConfirmationBody is the confirmation of an appointment at startsAt, shown
// on the salon's wall clock (loc; nil means UTC). It asks for no reply:
// the obvious ones (YES, CANCEL) are Twilio opt-in and opt-out keywords.
func ConfirmationBody(salonName, firstName string, startsAt time.Time, loc *time.Location) string {
	return fmt.Sprintf("%s, this is %s confirming your appointment on %s. %s",
		greeting(firstName), oneLine(salonName), startsAt.In(orUTC(loc)).Format(StartsAtLayout), OptOutLine)
}

// ReviewBody asks for a review after a visit. The link goes on a line of
// its own, so no punctuation sticks to it when a phone makes it clickable;
// without a link the message is a thank-you only.
func ReviewBody(salonName, firstName, reviewLink string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, thanks for visiting %s!", greeting(firstName), oneLine(salonName))
	if link := strings.TrimSpace(reviewLink); link != "" {
		fmt.Fprintf(&b, " How did we do? Leave a review:\n%s", link)
	}
	b.WriteString("\n" + OptOutLine)
	return b.String()
}

// MarketingBody returns a campaign's body, trimmed, with OptOutLine on a
// line of its own appended when the body has no opt-out instruction of its
// own. An instruction is the word STOP, in any case, after REPLY, TEXT,
// TXT, SEND or WITH, or before TO ("Reply stop", "text STOP to 12345",
// "STOP to end"); a bare "stop" ("don't stop by!") is not one, because
// leaving the line out of a message that needs it is far worse than a
// line too many. A blank body stays empty, for ValidateBody to refuse.
func MarketingBody(body string) string {
	body = strings.TrimSpace(body)
	if body == "" || hasOptOutInstruction(body) {
		return body
	}
	return body + "\n" + OptOutLine
}

// hasOptOutInstruction reports whether body tells the reader to send STOP.
func hasOptOutInstruction(body string) bool {
	words := inboundWords(body)
	for i, w := range words {
		if w != "STOP" {
			continue
		}
		if i > 0 && slices.Contains([]string{"REPLY", "TEXT", "TXT", "SEND", "WITH"}, words[i-1]) {
			return true
		}
		if i+1 < len(words) && words[i+1] == "TO" {
			return true
		}
	}
	return false
}

// greeting is "Hi Maria", or "Hi there" without a first name.
func greeting(firstName string) string {
	if name := oneLine(firstName); name != "" {
		return "Hi " + name
	}
	return "Hi there"
}

// oneLine collapses runs of spaces, tabs and newlines into one space, so a
// name typed with stray whitespace cannot break a message's layout.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
