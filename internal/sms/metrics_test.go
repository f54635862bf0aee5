package sms

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/salonworks/jobs/internal/sms/outbox"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// TestMetricsByClassAndReason: pending texts counted by class, a cancelled
// campaign's skips by reason, and no salon or number in any label.
func TestMetricsByClassAndReason(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	sm, err := NewSendMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(WaitingCollector{DB: f.pool})

	_, campaign := f.campaignWith(t, 3)
	if err := f.dispatcher().DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
		t.Fatal(err)
	}
	salon := f.salon(t, "Uptown", "America/New_York")
	f.message(t, salon, f.customer(t, salon, "+15555550901", false), outbox.KindConfirmation, "+15555550901")
	f.message(t, salon, f.customer(t, salon, "+15555550902", false), outbox.KindReview, "+15555550902")

	want := `
# HELP jobs_sms_waiting SMS texts pending in the outbox (waiting for their task, their turn, quiet hours or a paused campaign), by class.
# TYPE jobs_sms_waiting gauge
jobs_sms_waiting{class="marketing"} 3
jobs_sms_waiting{class="review"} 1
jobs_sms_waiting{class="transactional"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "jobs_sms_waiting"); err != nil {
		t.Error(err)
	}

	f.setCampaign(t, campaign, "cancelled")
	s := f.sender()
	s.Metrics = sm
	f.sendSome(t, s, 3)
	if got := testutil.ToFloat64(sm.Skipped.WithLabelValues(outbox.SkipCampaignCancelled)); got != 3 {
		t.Errorf("skipped{reason=campaign_cancelled} = %v, want 3", got)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "class" && l.GetName() != "reason" {
					t.Errorf("%s has label %s", mf.GetName(), l.GetName())
				}
				if strings.HasPrefix(l.GetValue(), "+") {
					t.Errorf("%s has a phone number in a label", mf.GetName())
				}
			}
		}
	}
}
