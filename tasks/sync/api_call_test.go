package sync

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/tasks/internal/checktest"
)

func TestAPICallPayloadValidate(t *testing.T) {
	t.Parallel()
	get := func(path string) APICallPayload { return APICallPayload{Method: "GET", Path: path} }
	tests := []struct {
		name string
		p    APICallPayload
		want []string
	}{
		{name: "get with query", p: get("/v1/salons?active=true&page=2")},
		{name: "root path", p: get("/")},
		{name: "post with body", p: APICallPayload{Method: "POST", Path: "/v1/jobs/refresh", Body: json.RawMessage(`{"salon_id":7}`)}},
		{name: "patch with array body", p: APICallPayload{Method: "PATCH", Path: "/v1/x", Body: json.RawMessage(`[1,2]`)}},
		{name: "delete without body", p: APICallPayload{Method: "DELETE", Path: "/v1/cache"}},
		{name: "longest path", p: get("/" + strings.Repeat("a", 1999))},
		{name: "empty", p: APICallPayload{}, want: []string{"method: is required", "path: is required"}},
		{name: "method not upper case", p: APICallPayload{Method: "get", Path: "/x"}, want: []string{`method: "get" is not one of GET, POST, PUT, PATCH, DELETE`}},
		{name: "unsupported method", p: APICallPayload{Method: "TRACE", Path: "/x"}, want: []string{`method: "TRACE" is not one of GET, POST, PUT, PATCH, DELETE`}},
		{name: "relative path", p: get("v1/x"), want: []string{`path: "v1/x" must start with "/"`}},
		{name: "protocol-relative host", p: get("//evil.example/x"), want: []string{`path: "//evil.example/x" must not start with "//" (it would name a host)`}},
		{name: "full URL", p: get("https://evil.example/x"), want: []string{`path: "https://evil.example/x" must start with "/"`}},
		{name: "dot-dot segment", p: get("/v1/../admin"), want: []string{`path: "/v1/../admin" must not contain a ".." segment`}},
		{name: "encoded dot-dot segment", p: get("/v1/%2e%2E/admin"), want: []string{`path: "/v1/%2e%2E/admin" must not contain a ".." segment`}},
		{name: "trailing dot-dot", p: get("/v1/.."), want: []string{`path: "/v1/.." must not contain a ".." segment`}},
		{name: "dots inside a name are fine", p: get("/v1/file..txt")},
		{name: "space", p: get("/v1/a b"), want: []string{`path: "/v1/a b" must not contain spaces, line breaks or control characters`}},
		{name: "header injection", p: get("/v1\r\nHost: evil"), want: []string{`path: "/v1\r\nHost: evil" must not contain spaces, line breaks or control characters`}},
		{name: "backslash", p: get(`/\evil.example`), want: []string{`path: "/\\evil.example" must not contain a backslash`}},
		{name: "fragment", p: get("/v1#top"), want: []string{`path: "/v1#top" must not carry a fragment`}},
		{name: "bad escape", p: get("/v1/%zz"), want: []string{`path: "/v1/%zz" is not a valid path`}},
		{name: "too long", p: get("/" + strings.Repeat("a", 2000)), want: []string{"path: is longer than 2000 bytes"}},
		{name: "body with GET", p: APICallPayload{Method: "GET", Path: "/x", Body: json.RawMessage(`{}`)}, want: []string{"body: is not allowed with GET"}},
		{name: "body with DELETE", p: APICallPayload{Method: "DELETE", Path: "/x", Body: json.RawMessage(`{}`)}, want: []string{"body: is not allowed with DELETE"}},
		{name: "body not JSON", p: APICallPayload{Method: "PUT", Path: "/x", Body: json.RawMessage(`{"a":`)}, want: []string{"body: is not valid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := checktest.Problems(t, KindAPICall, tt.p.Validate())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewAPICallTask(t *testing.T) {
	t.Parallel()
	task, err := NewAPICallTask(APICallPayload{Method: "POST", Path: "/v1/x?a=1&b=2", Body: json.RawMessage(`{ "q": "a&b" }`)})
	if err != nil {
		t.Fatalf("NewAPICallTask: %v", err)
	}
	want := `{"method":"POST","path":"/v1/x?a=1&b=2","body":{"q":"a&b"}}`
	if task.Type() != "sync:api_call" || string(task.Payload()) != want {
		t.Errorf("task = %s %s, want sync:api_call %s", task.Type(), task.Payload(), want)
	}
	if _, err := NewAPICallTask(APICallPayload{Method: "GET", Path: "//x"}); err == nil {
		t.Error("NewAPICallTask accepted an invalid payload")
	}
}
