package email

import (
	"errors"
	"net"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sesClasses maps SES v2 SendEmail's error codes to classes. Codes not
// listed are classed by HTTP status: 5xx unknown, other 4xx not sent.
var sesClasses = map[string]Class{
	// Sending rate or quota: wait, without spending a retry.
	"TooManyRequestsException": ClassRateLimited,
	"LimitExceededException":   ClassRateLimited,
	"ThrottlingException":      ClassRateLimited,
	"Throttling":               ClassRateLimited,
	// This email will never be accepted.
	"MessageRejected":                    ClassRejected,
	"MailFromDomainNotVerifiedException": ClassRejected,
	"BadRequestException":                ClassRejected, // a bad address, an invalid parameter
	"NotFoundException":                  ClassRejected, // the configuration set does not exist
	// No email will be accepted until someone fixes the account.
	"SendingPausedException":    ClassPaused,
	"AccountSuspendedException": ClassPaused,
}

// classifySES turns an error of sesv2.SendEmail into a *SendError.
//
// The line between "not sent" and "unknown" is whether the request may have
// reached SES. It certainly did not when no HTTP exchange happened (the
// request could not be signed or built) or the connection was never made
// (DNS, a refused dial); it certainly did not succeed when SES answered a
// 4xx. A 5xx, a connection lost after the request was written, a timeout
// or a cancelled context while waiting, or a 2xx that could not be read
// leave the outcome unknown.
func classifySES(err error) error {
	var (
		apiErr  smithy.APIError
		respErr *smithyhttp.ResponseError
		sendErr *smithyhttp.RequestSendError
		cancel  *smithy.CanceledError
		code    string
		status  int
	)
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	if errors.As(err, &respErr) {
		status = respErr.HTTPStatusCode()
	}
	class, known := sesClasses[code]
	switch {
	case known:
	case status == 429:
		class = ClassRateLimited
	case status >= 500:
		class = ClassUnknown
	case status >= 400:
		class = ClassNotSent
	case status != 0:
		class = ClassUnknown
	case errors.As(err, &sendErr):
		class = ClassUnknown
		if neverConnected(sendErr) {
			class = ClassNotSent
		}
	case errors.As(err, &cancel):
		class = ClassUnknown
	default:
		class = ClassNotSent
	}
	return &SendError{Class: class, Code: code, Err: err}
}

// neverConnected reports whether a transport error happened before any
// byte of the request could reach SES: a DNS failure or a failed dial.
func neverConnected(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}
