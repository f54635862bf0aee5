package twiliofake

import (
	"fmt"
	"time"
)

// stepKind names what the fake does with one send.
type stepKind int

const (
	stepAccept stepKind = iota
	stepError
	stepAcceptThenFail5xx
	stepHang
	stepGarbled
	stepRateLimited
)

// Step is one scripted answer to a send (a POST to Messages.json). Build it
// with Accept, Error, AcceptThenFail5xx, Hang, Garbled or RateLimited.
type Step struct {
	kind    stepKind
	status  int
	code    int
	message string
	delay   time.Duration
}

// String describes the step in test failures.
func (s Step) String() string {
	switch s.kind {
	case stepAccept:
		return "Accept"
	case stepError:
		return fmt.Sprintf("Error(%d, %d, %q)", s.status, s.code, s.message)
	case stepAcceptThenFail5xx:
		return "AcceptThenFail5xx"
	case stepHang:
		return fmt.Sprintf("Hang(%s)", s.delay)
	case stepGarbled:
		return "Garbled"
	case stepRateLimited:
		return fmt.Sprintf("RateLimited(%s)", s.delay)
	}
	return "unknown step"
}

// records reports whether Twilio "accepted" the message in this step, so
// that it shows up in Messages and in the list endpoint.
func (s Step) records() bool {
	switch s.kind {
	case stepAccept, stepAcceptThenFail5xx, stepHang, stepGarbled:
		return true
	}
	return false
}

// Accept answers 201 with a new message resource. It is also what the fake
// does once a recipient's script is used up, or for a recipient without one.
func Accept() Step { return Step{kind: stepAccept} }

// Error answers with HTTP status and a Twilio error body carrying code and
// message; nothing is recorded.
func Error(status, code int, message string) Step {
	return Step{kind: stepError, status: status, code: code, message: message}
}

// AcceptThenFail5xx records the message as accepted, then answers 500: the
// case where Twilio took the message but the answer says otherwise.
func AcceptThenFail5xx() Step { return Step{kind: stepAcceptThenFail5xx} }

// Hang records the message as accepted, then waits d (or until the client
// gives up) before answering 201: a timeout after acceptance.
func Hang(d time.Duration) Step { return Step{kind: stepHang, delay: d} }

// Garbled records the message as accepted, then answers 201 with a body
// that is not valid JSON.
func Garbled() Step { return Step{kind: stepGarbled} }

// RateLimited answers 429 with Twilio code 20429 and, when retryAfter is
// positive, a Retry-After header in whole seconds (rounded up); nothing is
// recorded.
func RateLimited(retryAfter time.Duration) Step {
	return Step{kind: stepRateLimited, delay: retryAfter}
}
