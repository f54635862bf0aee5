package sms

import (
	"time"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/twilio"
)

// verdictKind is what a complete lookup says about one row.
type verdictKind int

const (
	// absent: no message at Twilio can be this row's.
	absent verdictKind = iota
	// found: this message, and no other row's, is this row's.
	found
	// foundUnattributed: Twilio holds at least as many candidate messages
	// as there are rows that could own them, but which is whose cannot be
	// told: every such row was sent, none gets a SID (its status callback,
	// naming the row, brings it).
	foundUnattributed
	// ambiguous: fewer candidates than rows that could own them.
	ambiguous
)

// verdict is the lookup's answer for one row.
type verdict struct {
	kind   verdictKind
	sid    string
	status string
}

// match attributes Twilio's messages to one number to the rows in flight to
// that number (unknown, or sending after a hand-over), on evidence that
// survives Twilio's rewriting of bodies: a message can be a row's when it
// was created from the hand-over (less skew) to window after it. Bodies
// only break ties, when exactly one candidate carries the row's own text.
// SIDs already recorded on a row must be left out of msgs by the caller.
//
// A message is given to a row only when no other row could claim it, so
// two texts to one number never swap SIDs; what stays shared is decided by
// counting (see foundUnattributed, ambiguous).
func match(rows []outbox.Message, msgs []twilio.Listed, skew, window time.Duration) map[int64]verdict {
	eligible := func(r outbox.Message, c twilio.Listed) bool {
		from := r.Since().Add(-skew).Truncate(time.Second)
		return !c.Created.Before(from) && !c.Created.After(r.Since().Add(window+skew))
	}
	taken := make(map[string]bool)
	out := make(map[int64]verdict)
	cands := func(r outbox.Message) []twilio.Listed {
		var cs []twilio.Listed
		for _, c := range msgs {
			if !taken[c.SID] && eligible(r, c) {
				cs = append(cs, c)
			}
		}
		return cs
	}
	// claimants is how many undecided rows other than r could own c, and
	// how many of those carry c's exact body.
	claimants := func(r outbox.Message, c twilio.Listed) (others, sameBody int) {
		for _, o := range rows {
			if o.ID == r.ID {
				continue
			}
			if _, done := out[o.ID]; done || !eligible(o, c) {
				continue
			}
			others++
			if o.Body == c.Body {
				sameBody++
			}
		}
		return others, sameBody
	}
	for changed := true; changed; {
		changed = false
		for _, r := range rows {
			if _, done := out[r.ID]; done {
				continue
			}
			cs := cands(r)
			var pick *twilio.Listed
			if len(cs) == 1 {
				if others, _ := claimants(r, cs[0]); others == 0 {
					pick = &cs[0]
				}
			}
			if pick == nil {
				var exact []twilio.Listed
				for _, c := range cs {
					if c.Body == r.Body {
						exact = append(exact, c)
					}
				}
				if len(exact) == 1 {
					if _, same := claimants(r, exact[0]); same == 0 {
						pick = &exact[0]
					}
				}
			}
			if pick != nil {
				out[r.ID] = verdict{kind: found, sid: pick.SID, status: pick.Status}
				taken[pick.SID] = true
				changed = true
			}
		}
	}
	// What is left: rows with no candidate are absent; the others are
	// counted together with every row they share a candidate with.
	attributed := make(map[int64]bool, len(out))
	for id := range out {
		attributed[id] = true
	}
	for _, r := range rows {
		if _, done := out[r.ID]; done {
			continue
		}
		if len(cands(r)) == 0 {
			out[r.ID] = verdict{kind: absent}
			continue
		}
		group, msgSet := map[int64]bool{r.ID: true}, map[string]bool{}
		for grew := true; grew; {
			grew = false
			for _, o := range rows {
				if attributed[o.ID] {
					continue
				}
				for _, c := range cands(o) {
					if group[o.ID] && !msgSet[c.SID] {
						msgSet[c.SID], grew = true, true
					}
					if !group[o.ID] && msgSet[c.SID] {
						group[o.ID], grew = true, true
					}
				}
			}
		}
		kind := ambiguous
		if len(msgSet) >= len(group) {
			kind = foundUnattributed
		}
		out[r.ID] = verdict{kind: kind}
	}
	return out
}
