// Package sms is the sms queue's work, laid out like internal/email: the
// handlers of its kinds, the provider adapters, and the background service
// that settles what they could not.
//
//   - Sender.Send handles sms:send: an outbox row (or an inline message,
//     stored first) taken through claim, consent, quiet hours and the rate
//     limit (Limiter, per sender across workers) to the Provider, once.
//   - Dispatcher.DispatchConfirmations, DispatchReviews and
//     DispatchCampaigns handle the three sms:dispatch_* kinds: they turn
//     appointments and campaigns into outbox rows and sms:send tasks.
//   - Reconciler is a service of the worker: it settles sends whose
//     outcome was lost and re-enqueues rows that lost their task.
//   - Webhooks serves Twilio's delivery-status and inbound callbacks.
//   - Provider is what a send goes through: Twilio (the twilio
//     subpackage's client) or LogProvider (SMS_PROVIDER=log).
//
// Subpackages: text holds the pure rules (bodies, segments, quiet hours,
// inbound keywords); outbox is the sms_messages store and consent; twilio
// is the Twilio client and its errors, twilio/twiliofake a fake of
// Twilio's API for tests. The payloads and kinds are in tasks/sms.
package sms
