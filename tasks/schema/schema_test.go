package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/tasks"
	"github.com/salonworks/jobs/tasks/sms"
)

// TestSchemasUpToDate fails when the committed schemas are not what the
// payload structs generate today.
func TestSchemasUpToDate(t *testing.T) {
	t.Parallel()
	want, err := Generate()
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	paths, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string][]byte{}
	for _, p := range paths {
		if onDisk[p], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	for name, w := range want {
		got, ok := onDisk[name]
		switch {
		case !ok:
			t.Errorf("tasks/schema/%s is missing: run go generate ./tasks/schema", name)
		case string(got) != string(w):
			t.Errorf("tasks/schema/%s differs from the generated schema (-generated +on disk):\n%s\nrun go generate ./tasks/schema",
				name, cmp.Diff(string(w), string(got)))
		}
	}
	for name := range onDisk {
		if _, ok := want[name]; !ok {
			t.Errorf("tasks/schema/%s is not the schema of any kind: run go generate ./tasks/schema", name)
		}
	}
}

// shape is the part of a payload schema producers rely on most.
type shape struct {
	ID                   string         `json:"$id"`
	Title                string         `json:"title"`
	Type                 string         `json:"type"`
	AdditionalProperties *bool          `json:"additionalProperties"`
	Properties           map[string]any `json:"properties"`
	Required             []string       `json:"required"`
	OneOf                []struct {
		Required []string `json:"required"`
	} `json:"oneOf"`
}

func TestSchemaShapes(t *testing.T) {
	t.Parallel()
	files, err := Generate()
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	tests := []struct {
		name, file string
		properties []string
		required   []string
		oneOf      [][]string
	}{
		{name: "email:send", file: "email.send.json", properties: []string{"data", "idempotency_key", "template", "to"}, required: []string{"template", "to", "data"}},
		{name: "sms:send", file: "sms.send.json", properties: []string{"body", "category", "idempotency_key", "message_id", "salon_id", "to"},
			oneOf: [][]string{{"message_id"}, {"to", "body", "salon_id", "category", "idempotency_key"}}},
		{name: "sms:dispatch_confirmations", file: "sms.dispatch_confirmations.json"},
		{name: "sms:dispatch_reviews", file: "sms.dispatch_reviews.json"},
		{name: "sms:dispatch_campaigns", file: "sms.dispatch_campaigns.json"},
		{name: "upload:process", file: "upload.process.json", properties: []string{"upload_id"}, required: []string{"upload_id"}},
		{name: "report:generate", file: "report.generate.json", properties: []string{"report_id"}, required: []string{"report_id"}},
		{name: "salon:reset_queue", file: "salon.reset_queue.json", properties: []string{"date"}},
		{name: "sync:daily_stats", file: "sync.daily_stats.json", properties: []string{"date"}},
		{name: "sync:api_call", file: "sync.api_call.json", properties: []string{"body", "method", "path"}, required: []string{"method", "path"}},
	}
	if len(tests) != len(tasks.Kinds()) || len(files) != len(tasks.Kinds()) {
		t.Errorf("%d cases and %d files for %d kinds", len(tests), len(files), len(tasks.Kinds()))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s shape
			if err := json.Unmarshal(files[tt.file], &s); err != nil {
				t.Fatalf("%s: %v", tt.file, err)
			}
			var props []string
			for p := range s.Properties {
				props = append(props, p)
			}
			slices.Sort(props)
			var oneOf [][]string
			for _, o := range s.OneOf {
				oneOf = append(oneOf, o.Required)
			}
			got := []any{s.ID, s.Title, s.Type, s.AdditionalProperties != nil && !*s.AdditionalProperties, props, s.Required, oneOf}
			want := []any{"https://salonworks.dev/jobs/schema/" + tt.file, tt.name, "object", true, tt.properties, tt.required, tt.oneOf}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("$id, title, type, closed, properties, required, oneOf (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSchemaPatterns checks that every pattern is a valid regular
// expression and that the ones shared with Validate agree with it.
func TestSchemaPatterns(t *testing.T) {
	t.Parallel()
	files, err := Generate()
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	patterns := map[string]string{}
	for name, data := range files {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		collectPatterns(name, v, patterns)
	}
	for where, p := range patterns {
		if _, err := regexp.Compile(p); err != nil {
			t.Errorf("%s: pattern %q: %v", where, p, err)
		}
	}
	if got := patterns["sms.send.json/properties/to"]; got != sms.E164Pattern {
		t.Errorf("sms:send to pattern = %q, want sms.E164Pattern %q", got, sms.E164Pattern)
	}
	path := regexp.MustCompile(patterns["sync.api_call.json/properties/path"])
	tests := []struct {
		name, path string
		want       bool
	}{
		{name: "root", path: "/", want: true},
		{name: "with query", path: "/v1/salons?page=2&x=%20", want: true},
		{name: "relative", path: "v1/salons"},
		{name: "host", path: "//evil.example/x"},
		{name: "space", path: "/a b"},
		{name: "line break", path: "/a\nb"},
		{name: "backslash", path: `/\evil.example`},
	}
	for _, tt := range tests {
		if got := path.MatchString(tt.path); got != tt.want {
			t.Errorf("%s: path pattern matches %q = %t, want %t", tt.name, tt.path, got, tt.want)
		}
	}
}

func collectPatterns(where string, v any, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "pattern" {
				out[where] = s
				continue
			}
			collectPatterns(where+"/"+k, child, out)
		}
	case []any:
		for _, child := range v {
			collectPatterns(where+"/[]", child, out)
		}
	}
}
