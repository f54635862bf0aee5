package upload

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/tasks/internal/checktest"
)

func TestProcessPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		p           ProcessPayload
		want        []string
		wantPayload string
	}{
		{name: "valid", p: ProcessPayload{UploadID: 9}, wantPayload: `{"upload_id":9}`},
		{name: "missing", p: ProcessPayload{}, want: []string{"upload_id: is required"}},
		{name: "negative", p: ProcessPayload{UploadID: -9}, want: []string{"upload_id: must be a positive id, got -9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := checktest.Problems(t, KindProcess, tt.p.Validate())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() problems (-want +got):\n%s", diff)
			}
			task, err := NewProcessTask(tt.p)
			if (err != nil) != (tt.want != nil) {
				t.Fatalf("NewProcessTask error = %v, want error: %t", err, tt.want != nil)
			}
			if err == nil && (task.Type() != "upload:process" || string(task.Payload()) != tt.wantPayload) {
				t.Errorf("task = %s %s, want upload:process %s", task.Type(), task.Payload(), tt.wantPayload)
			}
		})
	}
}
