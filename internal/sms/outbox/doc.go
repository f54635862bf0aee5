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
//	                        │
//	             MarkUnknown└──▶ unknown ──▶ sent | failed (reconciler:
//	                               │         MarkSent, MarkFailed, ApplyStatus)
//	                               └──▶ pending (Reopen: resend after grace)
//
//	pending | sending ── MarkSkipped(reason) ──▶ skipped
//
// A row is created pending. A worker claims it (pending → sending,
// attempts+1, claimed_at) in its own committed statement before it calls
// Twilio, so a crash after the claim leaves evidence rather than a silent
// resend. Twilio's answer moves it to sent (the SID recorded) or failed; a
// lost answer (timeout, 5xx) to unknown, for the reconciler. A send that
// must wait (quiet hours, the rate limit) is released back to pending with
// wait_reason and send_after, and its attempt is given back. Delivered,
// undelivered, failed and skipped (opted out, no consent, …) are final.
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
