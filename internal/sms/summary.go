package sms

import (
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/salonworks/jobs/internal/metrics"
)

// passSummary counts what one reconciliation pass did; its parts run side
// by side, so it is guarded.
type passSummary struct {
	mu sync.Mutex
	// Released: claims that never reached Twilio, put back and enqueued.
	Released int
	// MarkedUnknown: handed rows whose worker is gone.
	MarkedUnknown int
	// LookedUp: unknown rows looked at; Found found at Twilio (with their
	// SID, or Unattributed); Absent found absent once; Resent sent again
	// after a second absence; Undecided not decidable this time;
	// OutcomeUnknown written off.
	LookedUp, Found, Unattributed, Absent, Resent, Undecided, OutcomeUnknown int
	// Swept: pending rows given a task again; RedisReset tells that the
	// sweep took every pending row because Redis had lost its data.
	Swept      int
	RedisReset bool
	// LookupErr is the first lookup error of the pass, for the log line.
	LookupErr error
}

func (s *passSummary) lookupFailed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.LookupErr == nil {
		s.LookupErr = err
	}
}

func (s *passSummary) addInt(field *int, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*field += n
}

func (s *passSummary) idle() bool {
	return s.Released+s.MarkedUnknown+s.LookedUp+s.Swept == 0 && !s.RedisReset
}

// log writes the pass's one line: nothing when it did nothing and failed
// at nothing.
func (s *passSummary) log(l *slog.Logger, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l == nil || err == nil && s.idle() {
		return
	}
	attrs := []any{
		"released", s.Released, "marked_unknown", s.MarkedUnknown,
		"looked_up", s.LookedUp, "found", s.Found, "found_unattributed", s.Unattributed,
		"absent", s.Absent, "resent", s.Resent, "undecided", s.Undecided, "outcome_unknown", s.OutcomeUnknown,
		"swept", s.Swept, "redis_reset", s.RedisReset,
	}
	if s.LookupErr != nil {
		attrs = append(attrs, "lookup_err", s.LookupErr)
	}
	switch {
	case err != nil:
		l.Warn("sms reconciliation pass", append(attrs, "err", err)...)
	case s.OutcomeUnknown > 0:
		l.Warn("sms reconciliation pass", attrs...)
	default:
		l.Info("sms reconciliation pass", attrs...)
	}
}

// ReconcileMetrics are the reconciler's outcomes, on the process's
// registry.
type ReconcileMetrics struct {
	// Outcomes counts rows by what a pass did with them: released,
	// marked_unknown, found, found_unattributed, absent, resent,
	// undecided, outcome_unknown, swept. Alert on outcome_unknown: each is
	// a text written off without evidence either way.
	Outcomes *prometheus.CounterVec
}

// NewReconcileMetrics registers the reconciler's metrics on reg; a second
// call on one registry returns the instruments already there.
func NewReconcileMetrics(reg prometheus.Registerer) (*ReconcileMetrics, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobs_sms_reconciled_total",
		Help: "SMS outbox rows the reconciler acted on, by outcome; outcome_unknown are texts written off without evidence.",
	}, []string{"outcome"})
	c, err := metrics.Register(reg, c)
	if err != nil {
		return nil, err
	}
	return &ReconcileMetrics{Outcomes: c}, nil
}

func (m *ReconcileMetrics) add(s *passSummary) {
	if m == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for outcome, n := range map[string]int{
		"released": s.Released, "marked_unknown": s.MarkedUnknown, "found": s.Found,
		"found_unattributed": s.Unattributed, "absent": s.Absent, "resent": s.Resent,
		"undecided": s.Undecided, "outcome_unknown": s.OutcomeUnknown, "swept": s.Swept,
	} {
		if n > 0 {
			m.Outcomes.WithLabelValues(outcome).Add(float64(n))
		}
	}
}
