package httpapi

import (
	"context"
	"slices"
	"testing"
)

// TestReadyShowsAbandonedIngestGroups: an abandoned consumer group shows
// in the ingest check without making the process unready.
func TestReadyShowsAbandonedIngestGroups(t *testing.T) {
	t.Parallel()
	h := &Health{
		IngestLag:       func(context.Context) (int64, error) { return 3, nil },
		IngestAbandoned: func(context.Context) ([]string, error) { return []string{"old-workers"}, nil },
	}
	rep := h.Ready(context.Background())
	got := rep.Checks["ingest"]
	if rep.Status != StatusOK || got.Status != StatusOK || !slices.Equal(got.AbandonedGroups, []string{"old-workers"}) || got.Lag == nil || *got.Lag != 3 {
		t.Errorf("Ready() = %s, ingest %+v; want ok, ok, lag 3, abandoned [old-workers]", rep.Status, got)
	}
}
