package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/tasks/internal/checktest"
)

func TestGeneratePayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		p           GeneratePayload
		want        []string
		wantPayload string
	}{
		{name: "valid", p: GeneratePayload{ReportID: 9}, wantPayload: `{"report_id":9}`},
		{name: "missing", p: GeneratePayload{}, want: []string{"report_id: is required"}},
		{name: "negative", p: GeneratePayload{ReportID: -9}, want: []string{"report_id: must be a positive id, got -9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := checktest.Problems(t, KindGenerate, tt.p.Validate())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() problems (-want +got):\n%s", diff)
			}
			task, err := NewGenerateTask(tt.p)
			if (err != nil) != (tt.want != nil) {
				t.Fatalf("NewGenerateTask error = %v, want error: %t", err, tt.want != nil)
			}
			if err == nil && (task.Type() != "report:generate" || string(task.Payload()) != tt.wantPayload) {
				t.Errorf("task = %s %s, want report:generate %s", task.Type(), task.Payload(), tt.wantPayload)
			}
		})
	}
}
