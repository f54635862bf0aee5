package tasks

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/testenv"

	"github.com/salonworks/jobs/tasks/email"
	"github.com/salonworks/jobs/tasks/sms"
)

// TestEveryFieldDeclaresItsClass keeps the declaration complete: a new
// payload field without a class tag would be hidden as Secret, which is
// safe but surprising, so it fails here first.
func TestEveryFieldDeclaresItsClass(t *testing.T) {
	t.Parallel()
	for _, k := range Kinds() {
		typ := reflect.TypeOf(k.New()).Elem()
		for f := range typ.Fields() {
			if !f.IsExported() {
				continue
			}
			switch f.Tag.Get("class") {
			case string(Plain), string(PII), string(Secret):
			default:
				t.Errorf("%s: field %s has class tag %q; want plain, pii or secret", k.Name, f.Name, f.Tag.Get("class"))
			}
		}
	}
	for _, tmpl := range email.Templates() {
		for _, f := range tmpl.Fields {
			switch f.Class {
			case Plain, PII, Secret:
			default:
				t.Errorf("email template %s: data.%s has class %q", tmpl.Name, f.Name, f.Class)
			}
		}
	}
}

func TestClassOf(t *testing.T) {
	t.Parallel()
	reset := []byte(`{"template":"password_reset","to":"a@b.co","data":{"name":"Ana","reset_url":"https://x/r?t=1","expires_in_minutes":30}}`)
	tests := []struct {
		name, kind string
		raw        []byte
		path       []string
		want       Class
	}{
		{"recipient", email.KindSend, reset, []string{"to"}, PII},
		{"template", email.KindSend, reset, []string{"template"}, Plain},
		{"reset link", email.KindSend, reset, []string{"data", "reset_url"}, Secret},
		{"name in data", email.KindSend, reset, []string{"data", "name"}, PII},
		{"minutes", email.KindSend, reset, []string{"data", "expires_in_minutes"}, Plain},
		{"key the template does not know", email.KindSend, reset, []string{"data", "token"}, Secret},
		{"data of an unknown template", email.KindSend, []byte(`{"template":"nope","data":{"name":"x"}}`), []string{"data", "name"}, Secret},
		{"unreadable payload", email.KindSend, []byte(`not json`), []string{"data", "name"}, Secret},
		{"sms body", sms.KindSend, nil, []string{"body"}, Secret},
		{"sms number", sms.KindSend, nil, []string{"to"}, PII},
		{"api call path", "sync:api_call", nil, []string{"path"}, Plain},
		{"api call body below", "sync:api_call", nil, []string{"body", "password"}, Secret},
		{"field no payload has", "upload:process", nil, []string{"token"}, Secret},
		{"unknown kind", "nope:nope", nil, []string{"id"}, Secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			classOf, _ := ClassOf(tt.kind, tt.raw)
			if got := classOf(tt.path); got != tt.want {
				t.Errorf("ClassOf(%s)(%v) = %s, want %s", tt.kind, tt.path, got, tt.want)
			}
		})
	}
}

// TestSecretPayloadsAreNotRetained: a finished task keeps its payload in
// Redis for its retention, so a task holding a reset link must have none,
// whatever the queue's policy or the caller's options say.
func TestSecretPayloadsAreNotRetained(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		kind    string
		payload string
		secret  bool
	}{
		{"password reset", email.KindSend, `{"template":"password_reset","to":"a@b.co","data":{"name":"Ana","reset_url":"https://x.example/r?t=1","expires_in_minutes":30}}`, true},
		{"notification with a link", email.KindSend, `{"template":"notification","to":"a@b.co","data":{"subject":"Export","message":"Ready","link_url":"https://s3.example/x.csv?X-Amz-Signature=1"}}`, true},
		{"welcome", email.KindSend, `{"template":"welcome","to":"a@b.co","data":{"name":"Ana"}}`, false},
		{"sms by id", sms.KindSend, `{"message_id":7}`, false},
		{"inline sms", sms.KindSend, `{"to":"+15555550123","body":"Hi","salon_id":1,"category":"transactional","idempotency_key":"k"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := HoldsSecret(tt.kind, []byte(tt.payload)); got != tt.secret {
				t.Errorf("HoldsSecret = %v, want %v", got, tt.secret)
			}
			task, err := NewTask(tt.kind, []byte(tt.payload), asynq.Retention(48*3600e9))
			if err != nil {
				t.Fatal(err)
			}
			retention := retentionOf(t, task)
			if tt.secret && retention != 0 {
				t.Errorf("retention = %s, want 0 for a payload holding a secret", retention)
			}
			if !tt.secret && retention == 0 {
				t.Errorf("retention = 0, want the caller's for a payload without a secret")
			}
		})
	}
}

// retentionOf enqueues task into a Redis database of its own and returns
// the retention Redis records for it.
func retentionOf(t *testing.T, task *asynq.Task) time.Duration {
	t.Helper()
	r := testenv.NewRedis(t)
	client := asynq.NewClient(r.ConnOpt())
	defer client.Close()
	info, err := client.Enqueue(task)
	if err != nil {
		t.Fatal(err)
	}
	return info.Retention
}

// TestResetLinkLeavesRedisWhenTheTaskIsDone runs a password-reset task
// through a real asynq server and then reads every key of the database:
// the link's token must be nowhere once the task has finished.
func TestResetLinkLeavesRedisWhenTheTaskIsDone(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	const token = "tok-9f8e7d6c5b4a"
	task, err := email.NewSendTask(email.SendPayload{Template: email.TemplatePasswordReset, To: "ana@example.com",
		Data: map[string]any{"name": "Ana", "reset_url": "https://app.example/reset?token=" + token, "expires_in_minutes": 30}})
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(r.ConnOpt())
	defer client.Close()
	info, err := client.Enqueue(task)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, DB: r.DB})
	defer rdb.Close()
	if !strings.Contains(dumpAll(t, rdb), token) {
		t.Fatal("the token is not in Redis while the task waits; the test would prove nothing")
	}
	done := make(chan struct{})
	srv := asynq.NewServer(r.ConnOpt(), asynq.Config{Queues: map[string]int{info.Queue: 1}, LogLevel: asynq.FatalLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc(email.KindSend, func(context.Context, *asynq.Task) error { close(done); return nil })
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	<-done
	testenv.WaitFor(t, 10*time.Second, "the finished task to leave Redis", func() bool {
		return !strings.Contains(dumpAll(t, rdb), token)
	})
}

// dumpAll returns every string, hash, list, set and sorted-set value of
// the database, concatenated.
func dumpAll(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	iter := rdb.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		switch rdb.Type(ctx, key).Val() {
		case "string":
			b.WriteString(rdb.Get(ctx, key).Val())
		case "hash":
			for _, v := range rdb.HGetAll(ctx, key).Val() {
				b.WriteString(v)
			}
		case "list":
			b.WriteString(strings.Join(rdb.LRange(ctx, key, 0, -1).Val(), ""))
		case "set":
			b.WriteString(strings.Join(rdb.SMembers(ctx, key).Val(), ""))
		case "zset":
			b.WriteString(strings.Join(rdb.ZRange(ctx, key, 0, -1).Val(), ""))
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
