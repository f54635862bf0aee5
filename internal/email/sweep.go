package email

import (
	"context"
	"log/slog"
	"time"

	"github.com/salonworks/jobs/internal/email/outbox"
	"github.com/salonworks/jobs/internal/redact"
	"github.com/salonworks/jobs/internal/service"
)

// DefaultSweepInterval is the time between two sweeps of a Sweeper.
const DefaultSweepInterval = time.Minute

// Sweeper fails the emails left in "sending" by a worker that died
// mid-send and whose task will not come back (killed on its last retry):
// SES cannot be asked whether such an email went, so it is failed with
// "outcome unknown" and logged, never resent blindly. It is a service of
// the worker process that serves the emails queue.
type Sweeper struct {
	Store *outbox.Store
	// Logger receives one error line per email failed, recipient masked.
	Logger *slog.Logger
	// Interval is the time between sweeps; zero is DefaultSweepInterval.
	Interval time.Duration
	// Lease is how long a row may stay in sending; zero is DefaultLease,
	// the Sender's own, so a live send is never failed under it.
	Lease time.Duration

	loop *service.Loop
}

// Start implements service.Service: a sweep every Interval until Shutdown.
func (s *Sweeper) Start() error {
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	s.loop = &service.Loop{Name: "email sweeper", Interval: interval, Run: s.Sweep, Logger: s.Logger}
	return s.loop.Start()
}

// Shutdown implements service.Service.
func (s *Sweeper) Shutdown() {
	if s.loop != nil {
		s.loop.Shutdown()
	}
}

// Sweep runs one pass: every row claimed longer than Lease ago is failed
// and logged.
func (s *Sweeper) Sweep(ctx context.Context) error {
	lease := s.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	expired, err := s.Store.ExpireAllSending(ctx, lease)
	for _, m := range expired {
		s.Logger.ErrorContext(ctx, "email outcome unknown: worker gone mid-send; not resent", "email_id", m.ID, "to", redact.Email(m.To))
	}
	return err
}

var _ service.Service = (*Sweeper)(nil)
