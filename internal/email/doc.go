// Package email is the emails queue's work: Sender.Send, the handler of
// email:send; the Sweeper, a service of the worker that fails sends lost
// with their worker; the rendering of the templates (subpackage
// templates); and the providers it sends through (SES v2, or the log for
// development). The outbox store and suppression list are the subpackage
// outbox; seslocal runs an SES emulator for tests. The payload and kind
// are in tasks/email. internal/sms is laid out the same way.
//
// # One email, sent at most once
//
// Each email:send task names a logical email by its idempotency key: the
// producer's, or one derived from template, recipient and data
// (IdempotencyKey). The Sender stores one outbox row per key
// (internal/email/outbox), then:
//
//  1. a row already sent or skipped is done: the task succeeds and nothing
//     is sent (a retry after SES accepted the message, a duplicate task);
//  2. a suppressed recipient (email_suppressions: bounces, complaints,
//     manual) is skipped with reason "suppressed" and the task succeeds;
//  3. the template is rendered (html/template escapes the data; subjects
//     are one line) and the headers checked;
//  4. the row is claimed (pending → sending) in its own committed statement
//     before the provider is called, and the answer is recorded after.
//
// SES has no API to look a message up, so an attempt whose outcome is lost
// cannot be reconciled. This package chooses at most once: such a row
// fails with "outcome unknown", an error line is logged and the task is
// archived with that reason; it is never resent automatically. A missing
// welcome or notification is judged less harmful than a duplicate one, and
// a password reset can be asked for again. "Lost" means a 5xx from SES, a
// connection broken or a deadline passed after the request left, an
// unreadable 2xx, or a worker that died between claim and answer (its row
// is found in sending after DefaultLease by the task's retry, or by
// outbox.Store.ExpireAllSending). An error that proves the request never
// reached SES (DNS, a refused connection, a request that could not be
// signed) or a 4xx without a class puts the row back to pending and the task
// retries normally.
//
// # SES errors
//
//	TooManyRequestsException, LimitExceededException   rescheduled after a short wait,
//	  (and 429, ThrottlingException)                     no retry spent, row back to pending
//	MessageRejected, MailFromDomainNotVerifiedException, row failed with the code,
//	  BadRequestException, NotFoundException             task archived (no retry)
//	SendingPausedException, AccountSuspendedException    queue paused, error logged,
//	                                                     jobs_email_sending_paused_total+1,
//	                                                     rescheduled, no retry spent
//	5xx, lost answers                                    row failed "outcome unknown", archived
//	network errors before the request left, other 4xx    row back to pending, ordinary retry
//
// When SES pauses sending or suspends the account, every email would fail
// the same way, so the handler pauses the emails queue (asynq) instead of
// burning every email's retries: the tasks wait, pending or scheduled. To
// resume, fix the account in SES (the AWS console's account dashboard, or
// `aws sesv2 put-account-sending-attributes --sending-enabled`), then
// resume the emails queue on /admin/queues (asynqmon: Queues → emails →
// Resume). The postponed tasks run again within DefaultPausedDelay, or at
// once with "Run" on the queue's Retry tab (their retry count is untouched).
package email
