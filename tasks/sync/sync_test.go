package sync

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/tasks/internal/checktest"
)

func TestDailyStatsPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		p           DailyStatsPayload
		want        []string
		wantPayload string
	}{
		{name: "no date", p: DailyStatsPayload{}, wantPayload: `{}`},
		{name: "leap day", p: DailyStatsPayload{Date: "2024-02-29"}, wantPayload: `{"date":"2024-02-29"}`},
		{name: "not a leap year", p: DailyStatsPayload{Date: "2023-02-29"}, want: []string{`date: "2023-02-29" is not a date in the form YYYY-MM-DD`}},
		{name: "month 13", p: DailyStatsPayload{Date: "2024-13-01"}, want: []string{`date: "2024-13-01" is not a date in the form YYYY-MM-DD`}},
		{name: "single digits", p: DailyStatsPayload{Date: "2024-1-2"}, want: []string{`date: "2024-1-2" is not a date in the form YYYY-MM-DD`}},
		{name: "timestamp", p: DailyStatsPayload{Date: "2024-01-02T08:00:00Z"}, want: []string{`date: "2024-01-02T08:00:00Z" is not a date in the form YYYY-MM-DD`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := checktest.Problems(t, KindDailyStats, tt.p.Validate())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() problems (-want +got):\n%s", diff)
			}
			task, err := NewDailyStatsTask(tt.p)
			if (err != nil) != (tt.want != nil) {
				t.Fatalf("NewDailyStatsTask error = %v, want error: %t", err, tt.want != nil)
			}
			if err == nil && (task.Type() != "sync:daily_stats" || string(task.Payload()) != tt.wantPayload) {
				t.Errorf("task = %s %s, want sync:daily_stats %s", task.Type(), task.Payload(), tt.wantPayload)
			}
		})
	}
}
