package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRegisterTwiceSharesTheInstrument(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := prometheus.CounterOpts{Name: "jobs_test_total", Help: "test"}
	first, err := Register(reg, prometheus.NewCounterVec(opts, []string{"a"}))
	if err != nil {
		t.Fatal(err)
	}
	second, err := Register(reg, prometheus.NewCounterVec(opts, []string{"a"}))
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatal("a second registration returned a new instrument, not the registered one")
	}
	if _, err := Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jobs_test_total", Help: "other"}, []string{"b"})); err == nil {
		t.Fatal("a conflicting registration succeeded")
	}
}
