package sms

import (
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/salonworks/jobs/internal/taskerr"
)

// outageWait is how long a task waits, without spending a retry, when the
// database or Redis cannot be reached.
const outageWait = 5 * time.Second

// waitOutage turns a failure to reach the database or Redis into a wait
// that spends none of the task's retries (taskerr.RateLimited): an outage
// of the infrastructure says nothing about the message, and a 30-second
// failover must not archive tasks. Other errors pass unchanged.
func waitOutage(err error) error {
	if err == nil || taskerr.IsPermanent(err) || !isOutage(err) {
		return err
	}
	if _, ok := taskerr.AsRateLimit(err); ok {
		return err
	}
	return taskerr.RateLimited(outageWait, err)
}

// isOutage reports whether err is a failure to reach a server rather than
// an answer from it.
func isOutage(err error) bool {
	var provider providerError
	if errors.As(err, &provider) {
		// Twilio unreachable is not our infrastructure: its retries and
		// backoff apply, so a broken configuration ends archived, seen.
		return false
	}
	var (
		connect *pgconn.ConnectError
		netErr  net.Error
		opErr   *net.OpError
	)
	switch {
	case errors.As(err, &connect), errors.As(err, &opErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 (connection exception), 57P01-03 (admin shutdown,
		// crash shutdown, cannot connect now: a failover in progress).
		return len(pgErr.Code) == 5 && pgErr.Code[:2] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return false
}

// providerError marks an error of the SMS provider, which waitOutage leaves
// to the queue's retries.
type providerError struct{ err error }

func (e providerError) Error() string { return e.err.Error() }
func (e providerError) Unwrap() error { return e.err }
