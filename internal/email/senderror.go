package email

import (
	"errors"
	"fmt"
)

// Class is what a failed send means for the email and its task.
type Class int

// The classes of a failed send.
const (
	// ClassUnknown: the provider may have accepted the email (a timeout
	// after the request left, a 5xx, an unreadable answer). It is not
	// resent: the row fails with "outcome unknown".
	ClassUnknown Class = iota
	// ClassNotSent: the provider certainly did not accept it (the
	// connection was refused, the request never left, a 4xx without a
	// class). The row goes back to pending and the task retries.
	ClassNotSent
	// ClassRateLimited: the provider asks us to slow down. The task is
	// rescheduled without spending a retry.
	ClassRateLimited
	// ClassRejected: the provider refused this email for good (rejected
	// content, a bad address, an unverified sender, a missing
	// configuration set). The row fails and the task is archived.
	ClassRejected
	// ClassPaused: the provider refuses every email (sending paused, the
	// account suspended). The queue is paused until an operator resumes it.
	ClassPaused
)

var classNames = map[Class]string{
	ClassUnknown: "unknown", ClassNotSent: "not_sent", ClassRateLimited: "rate_limited",
	ClassRejected: "rejected", ClassPaused: "paused",
}

// String names the class as metrics label it.
func (c Class) String() string { return classNames[c] }

// SendError is a provider's failure, classified.
type SendError struct {
	// Class says what the failure means.
	Class Class
	// Code is the provider's error code ("MessageRejected"), or "" when
	// it gave none (a network error).
	Code string
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *SendError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("%s: %v", e.Class, e.Err)
	}
	return fmt.Sprintf("%s (%s): %v", e.Code, e.Class, e.Err)
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// ClassOf returns the class and code of a provider's error: those of the
// *SendError in it, or ClassUnknown for any other error, since an error
// nobody classified may have come after the email left.
func ClassOf(err error) (Class, string) {
	var se *SendError
	if errors.As(err, &se) {
		return se.Class, se.Code
	}
	return ClassUnknown, ""
}
