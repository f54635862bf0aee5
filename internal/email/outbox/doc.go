// Package outbox is the email outbox: one email_messages row per logical
// email, keyed by its idempotency key, moved through a state machine by
// single guarded SQL statements; and the suppression list
// (email_suppressions) of addresses that get no more email.
//
// # States
//
//	             Claim                MarkSent
//	pending ──────────▶ sending ─────────────▶ sent
//	   ▲                 │  │ │  MarkFailed
//	   ├──── Release ────┘  │ └──────────────▶ failed (the provider's reason)
//	   └──── Postpone ──────┘    MarkUnknown,
//	                             ExpireSending ─▶ failed ("outcome unknown: …")
//
//	pending | sending ── MarkSkipped(reason) ──▶ skipped ("suppressed", …)
//	pending ── MarkFailed ──▶ failed (a message that cannot be rendered)
//
// A row is created pending. A worker claims it (pending → sending,
// attempts+1) in its own committed statement before it calls the provider,
// so a crash after the claim leaves evidence rather than a silent resend.
// The provider's answer moves it to sent (with the provider's message ID)
// or failed; an answer that certainly means "not sent" (a refused
// connection, throttling) puts it back to pending: Release keeps the
// attempt, Postpone (throttling, a paused account) gives it back.
//
// # At most once
//
// SES has no API to look a message up, so an attempt whose outcome is lost
// (a timeout after the request left, a 5xx, a worker killed after the
// hand-over)
// cannot be reconciled later. Such a row goes to failed with an error
// starting "outcome unknown:" and is never resent by the daemon: a missing
// welcome or notification email is judged less harmful than a duplicate
// one, and a password reset can be asked for again. Operators see these
// rows (and the archived tasks' reasons); resending one is a deliberate act:
// set the row back to pending and run its archived task again.
//
// A claim records, in a committed write just before the request leaves,
// that the email is handed to the provider (MarkHanded: handover claimed →
// handed). A row left in sending by a worker that died is recognised by
// the age of its claim (updated_at), once older than a lease far beyond
// the emails queue's task timeout, so a live worker is never
// second-guessed: ExpireSending puts a claim never handed over back to
// pending (nothing left; the email is sent), and moves a handed one to
// failed, outcome unknown.
//
// # After sent
//
// The provider's later reports (delivered, bounced, complained, rejected)
// move a sent row on through RecordFeedback, only forward, each report
// once; bounces and complaints also suppress the address (events.go).
//
// Every transition is one UPDATE whose WHERE names the states it may leave,
// so states only move forward: a concurrent claim or a duplicate task finds
// the row moved on and changes nothing. Transitions refused that way return
// a *StateError.
package outbox
