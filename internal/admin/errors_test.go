package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// A failed SMS's last error quotes the number, as Twilio's error text
// does; the dashboard must show it masked like the payload.
func TestTaskErrorsAreShownMasked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const lastErr = "twilio 21211: The 'To' number +15555550123 is not a valid phone number; tell ops@salon.example"
	client := asynq.NewClient(f.redis.ConnOpt())
	defer client.Close()
	info, err := client.Enqueue(asynq.NewTask("sms:send", []byte(`{"message_id":7}`)),
		asynq.Queue("sms"), asynq.MaxRetry(0), asynq.TaskID("sms:failed:1"))
	if err != nil {
		t.Fatal(err)
	}
	srv := asynq.NewServer(f.redis.ConnOpt(), asynq.Config{
		Queues: map[string]int{"sms": 1}, Concurrency: 1, LogLevel: asynq.FatalLevel,
	})
	if err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		return fmt.Errorf("%s", lastErr)
	})); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ti, err := f.insp.GetTaskInfo("sms", info.ID)
		if err == nil && ti.State == asynq.TaskStateArchived {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task never archived: %v %v", ti, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.Shutdown()

	for _, path := range []string{"/api/queues/sms/archived_tasks", "/api/queues/sms/tasks/" + url.PathEscape(info.ID)} {
		resp, body := f.do(t, req{method: "GET", path: RootPath + path, user: viewerName, pass: viewerPass})
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
		for _, raw := range []string{"+15555550123", "ops@salon.example"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s: %q shown unmasked: %s", path, raw, body)
			}
		}
		if !strings.Contains(body, "The 'To' number +1********23 is not a valid phone number; tell o***@salon.example") {
			t.Errorf("%s: masked error not shown: %s", path, body)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Errorf("%s: answer is no longer JSON: %v", path, err)
		}
	}
}

func TestMaskErrorMessagesKeepsTheRest(t *testing.T) {
	tests := []struct {
		name, in, want string
		changed        bool
	}{
		{"nothing to mask", `{"tasks":[{"id":"a","error_message":"timeout"}]}`, `{"tasks":[{"id":"a","error_message":"timeout"}]}`, false},
		{"masked, numbers kept exactly", `{"tasks":[{"max_retry":25,"big":12345678901234567890,"error_message":"to +447911123456","payload":"+447911123456","queue":"+447911123456"}],"stats":{"size":1.50}}`,
			`{"stats":{"size":1.50},"tasks":[{"big":12345678901234567890,"error_message":"to +4*********56","max_retry":25,"payload":"+4*********56","queue":"+447911123456"}]}` + "\n", true},
		{"not JSON", `oops +447911123456`, `oops +447911123456`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := maskErrorMessages([]byte(tt.in), nil)
			if string(got) != tt.want || changed != tt.changed {
				t.Errorf("got %s (changed %v), want %s (%v)", got, changed, tt.want, tt.changed)
			}
		})
	}
}
