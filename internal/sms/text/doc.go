// Package text holds the pure building blocks of the daemon's SMS: segment
// counting (GSM-7 or UCS-2, as carriers bill them), the quiet-hours window
// in a salon's local time, the inbound opt-out/opt-in/help keywords, and the
// bodies of the messages the dispatchers create.
//
// Nothing here talks to Twilio, Redis or Postgres: the handlers that do
// are in internal/sms, the outbox store in internal/sms/outbox.
package text
