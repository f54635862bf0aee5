package twilio

import (
	"fmt"
	"time"
)

// Twilio error codes the classification acts on.
const (
	// CodeInvalidTo is 21211: the To number is not a valid phone number.
	CodeInvalidTo = 21211
	// CodeOptedOut is 21610: the recipient replied STOP to this sender.
	CodeOptedOut = 21610
	// CodeQueueFull is 21611: the sender's outgoing queue is full.
	CodeQueueFull = 21611
	// CodeNotMobile is 21614: the To number cannot receive SMS.
	CodeNotMobile = 21614
	// CodeTooManyRequests is 20429: the account's API concurrency limit.
	CodeTooManyRequests = 20429
)

// DefaultRetryAfter is the wait a rate-limit answer asks for when it names
// none.
const DefaultRetryAfter = 10 * time.Second

// PermanentError is a refusal that sending again cannot change: an invalid
// or non-mobile number (21211, 21614), a region or permission refusal
// (21408, 21612), and any other 4xx that no other error type covers.
type PermanentError struct {
	// Code is Twilio's error code; 0 when the answer held none.
	Code int
	// Status is the HTTP status.
	Status int
	// Message is Twilio's message, phone numbers masked.
	Message string
	// To is the recipient, masked.
	To string
}

// Error implements error.
func (e *PermanentError) Error() string {
	return fmt.Sprintf("twilio refused the message to %s: %s", e.To, describe(e.Status, e.Code, e.Message))
}

// OptedOutError is Twilio's 21610: the recipient replied STOP to this
// sender, and Twilio will not deliver until they reply START. The caller
// records the opt-out.
type OptedOutError struct {
	// Code is Twilio's error code (21610).
	Code int
	// Message is Twilio's message, phone numbers masked.
	Message string
	// To is the recipient, masked.
	To string
}

// Error implements error.
func (e *OptedOutError) Error() string {
	return fmt.Sprintf("twilio refused the message to %s, who opted out: %s", e.To, describe(0, e.Code, e.Message))
}

// RateLimitError is Twilio asking to slow down: HTTP 429, code 20429, or
// 21611 (queue full). The message was not accepted; try again after
// RetryAfter without counting it as a failed attempt.
type RateLimitError struct {
	// RetryAfter is Twilio's Retry-After, or DefaultRetryAfter.
	RetryAfter time.Duration
	// Code is Twilio's error code; 0 when the answer held none.
	Code int
	// Status is the HTTP status.
	Status int
	// Message is Twilio's message, phone numbers masked.
	Message string
}

// Error implements error.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("twilio rate limit, retry after %s: %s", e.RetryAfter, describe(e.Status, e.Code, e.Message))
}

// UnknownOutcomeError says Twilio may have accepted the message although
// the answer did not say so: a timeout or a connection lost after the
// request was sent, a 5xx, or a success answer that could not be read.
// Sending again could make a duplicate; look the message up with FindSent.
type UnknownOutcomeError struct {
	// To is the recipient, masked.
	To string
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// Reason says what went wrong, phone numbers masked.
	Reason string
	// Err is the underlying error (a timeout, context.Canceled, a decoding
	// error), if any; its text holds no URL.
	Err error
}

// Error implements error.
func (e *UnknownOutcomeError) Error() string {
	return fmt.Sprintf("twilio send to %s: outcome unknown, the message may have been accepted: %s", e.To, e.Reason)
}

// Unwrap returns the underlying error.
func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// describe renders an answer's status, code and message.
func describe(status, code int, message string) string {
	s := ""
	if status != 0 {
		s = fmt.Sprintf("HTTP %d", status)
	}
	if code != 0 {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("code %d", code)
	}
	if message != "" {
		if s != "" {
			s += ": "
		}
		s += message
	}
	return s
}
