// Package outbox is the SMS outbox: one sms_messages row per logical
// message, keyed by its idempotency key, moved through a state machine by
// single guarded SQL statements, plus the customers' SMS consent.
//
// # States
//
//	            Claim              MarkSent            ApplyStatus
//	pending ──────────▶ sending ──────────▶ sent ──────────▶ delivered
//	   ▲                 │  │  │                 └─────────▶ undelivered
//	   └──── Release ────┘  │  └─ MarkFailed ─▶ failed ◀──── (callback)
//	   ▲                    │
//	   │         MarkUnknown└──▶ unknown ──▶ sent | failed (reconciler:
//	   │                           │         ApplyStatusByID, MarkFailed)
//	   └────── Reopen ─────────────┘ (absent at Twilio twice, a settle
//	                                  interval apart: send again)
//
//	pending | sending ── MarkSkipped(reason) ──▶ skipped
//
// A row is created pending. A worker claims it (pending → sending,
// attempts+1, claimed_at, handover = claimed) in its own committed
// statement, checks the gates, then records the hand-over (MarkHanded:
// handover = handed, handed_at) in another committed statement just before
// the request to Twilio leaves. So a crash leaves evidence of how far it
// got: a claim never handed over certainly sent nothing and, once stale
// (StuckAfter), is taken over by the next Claim or put back by
// ReleaseStaleClaims; a handed one may be at Twilio and becomes unknown
// (MarkStuckUnknown), to be looked up. Twilio's answer moves it to sent
// (the SID recorded) or failed; a lost answer (timeout, 5xx) to unknown. A
// send that must wait (quiet hours, the rate limit) is released back to
// pending with wait_reason and send_after, and its attempt is given back.
// Delivered, undelivered, failed and skipped (opted out, no consent, …)
// are final.
//
// An unknown row is decided on evidence only: found at Twilio, it is sent
// (with its SID, or without when several texts to one number cannot be
// told apart); absent from two complete lookups a settle interval apart
// (absent_at, lookup_after), it is reopened and sent again; only one that
// stays undecidable ends failed, outcome unknown.
//
// Every transition is one UPDATE whose WHERE names the states it may leave,
// so states only move forward: a concurrent claim, a duplicate task or a
// late callback finds the row moved on and changes nothing. Transitions
// refused that way return a *StateError.
//
// Delivery callbacks rank Twilio's statuses: accepted, queued, sending and
// sent (Twilio's words) all mean our sent; delivered, undelivered and
// failed rank above it and are terminal. A callback changes a row only
// when it ranks above the row's state, so duplicates and out-of-order
// callbacks are no-ops, and the first terminal status wins.
package outbox
