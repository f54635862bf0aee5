package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/salonworks/jobs/queues"
)

// TestEmptyQueuesAreShown: on a database no worker has touched, the
// dashboard's queue list holds the five queues.
func TestEmptyQueuesAreShown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp, body := f.do(t, req{method: "GET", path: RootPath + "/api/queues", user: viewerName, pass: viewerPass})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Queues []struct {
			Queue string `json:"queue"`
		} `json:"queues"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range got.Queues {
		names = append(names, q.Queue)
	}
	for _, q := range queues.Names() {
		if !slices.Contains(names, q) {
			t.Errorf("queue %s not listed: %v", q, names)
		}
	}
}
