package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/taskinfo"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/tasks"
	"github.com/salonworks/jobs/tasks/email"
)

// Probes of the secret walk. Every payload field holds probeText (a
// personal address and number, a URL whose query and fragment hold a
// secret); a field declared Secret holds bareSecret before it.
const (
	bareSecret = "BARE-SECRET-5f4dcc3b"
	probeText  = "josé.probe@exämple.com +44 20 7946 0958 https://app.example/reset?token=QUERY-SECRET-a1b2#FRAG-SECRET-c3d4"
)

// leaked are the substrings no dashboard answer may hold: the secrets
// whole, the address's local part and the number's middle digits (masks
// keep a first character and the last two digits).
var leaked = []string{bareSecret, "QUERY-SECRET", "FRAG-SECRET", "osé.probe", "7946 0958", "447946095812"}

// samplePayloads returns, for every kind of the catalogue (and every
// template of email:send), a payload whose every field holds the probes:
// strings, the values of a map, the keys of a JSON body. Fields that can
// only hold numbers get a number.
func samplePayloads(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, k := range tasks.Kinds() {
		p := reflect.TypeOf(k.New()).Elem()
		variants := []string{""}
		if k.Name == email.KindSend {
			variants = email.TemplateNames()
		}
		for _, template := range variants {
			fields := map[string]any{}
			for f := range p.Fields() {
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				value := probeText
				if f.Tag.Get("class") == string(tasks.Secret) {
					value = bareSecret + " " + probeText
				}
				switch {
				case f.Type.Kind() == reflect.String:
					fields[name] = value
				case f.Type.Kind() == reflect.Map:
					data := map[string]any{"extra_token": bareSecret}
					if tmpl, ok := email.LookupTemplate(template); ok {
						for _, df := range tmpl.Fields {
							v := probeText
							if df.Class == tasks.Secret {
								v = bareSecret + " " + probeText
							}
							data[df.Name] = v
						}
					}
					fields[name] = data
				case f.Type == reflect.TypeFor[json.RawMessage]():
					fields[name] = map[string]any{"password": bareSecret, "note": probeText}
				case f.Type.Kind() == reflect.Int64:
					fields[name] = 424242
				default:
					t.Fatalf("%s: field %s of type %s: teach the walk to fill it", k.Name, f.Name, f.Type)
				}
			}
			if template != "" {
				fields["template"] = template
			}
			b, err := json.Marshal(fields)
			if err != nil {
				t.Fatal(err)
			}
			name := k.Name
			if template != "" {
				name += "/" + template
			}
			out[name] = b
		}
	}
	return out
}

// TestNoDashboardRouteShowsASecret puts a payload full of secrets and
// personal data of every kind in every task state asynqmon shows
// (pending, scheduled, aggregating, active, retry, archived, completed
// with a result), with errors and results quoting them, publishes them as
// scheduler entries and dead letters, adds outbox rows holding the same
// probes, and then reads every GET route of asynqmon's API and every
// operations page, as an admin and as a viewer.
func TestNoDashboardRouteShowsASecret(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t)
	f := newFixtureDB(t, nil, pg.Pool)
	opt := f.redis.ConnOpt()
	client := asynq.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	samples := samplePayloads(t)

	var ids []struct{ queue, id string }
	add := func(queue, id string) { ids = append(ids, struct{ queue, id string }{queue, id}) }
	enqueue := func(kind string, payload []byte, queue, id string, opts ...asynq.Option) {
		t.Helper()
		opts = append(opts, asynq.Queue(queue), asynq.TaskID(id))
		if _, err := client.Enqueue(asynq.NewTask(kind, payload), opts...); err != nil {
			t.Fatalf("enqueue %s: %v", id, err)
		}
		add(queue, id)
	}
	// The processing server runs the tasks of queue "work" by their ID.
	release := make(chan struct{})
	var active sync.WaitGroup
	i := 0
	for name, payload := range samples {
		kind, _, _ := strings.Cut(name, "/")
		i++
		enqueue(kind, payload, "idle", fmt.Sprintf("pending-%d", i))
		enqueue(kind, payload, "idle", fmt.Sprintf("scheduled-%d", i), asynq.ProcessIn(time.Hour))
		enqueue(kind, payload, "idle", fmt.Sprintf("aggregating-%d", i), asynq.Group("salon-1"))
		for _, state := range []string{"active", "retry", "archived", "completed"} {
			opts := []asynq.Option{asynq.MaxRetry(0)}
			switch state {
			case "retry":
				opts = []asynq.Option{asynq.MaxRetry(5)}
			case "completed":
				opts = append(opts, asynq.Retention(time.Hour))
			case "active":
				active.Add(1)
			}
			enqueue(kind, payload, "work", fmt.Sprintf("%s-%d", state, i), opts...)
		}
	}
	srv := asynq.NewServer(opt, asynq.Config{
		Queues: map[string]int{"work": 1}, Concurrency: 3 * len(samples), LogLevel: asynq.FatalLevel,
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return time.Hour },
	})
	mux := asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		id, _ := taskinfo.ID(ctx)
		quote := "refused " + string(task.Payload()) + " " + probeText + " token=" + bareSecret
		switch {
		case strings.HasPrefix(id, "active-"):
			active.Done()
			<-release
			return nil
		case strings.HasPrefix(id, "completed-"):
			_, err := task.ResultWriter().Write([]byte(quote))
			return err
		}
		return fmt.Errorf("%s", quote)
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(release); srv.Shutdown() })
	active.Wait()

	sched := asynq.NewScheduler(opt, &asynq.SchedulerOpts{LogLevel: asynq.FatalLevel})
	var entries []string
	for name, payload := range samples {
		kind, _, _ := strings.Cut(name, "/")
		id, err := sched.Register("@every 1h", asynq.NewTask(kind, payload), asynq.Queue("idle"))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, id)
	}
	if err := sched.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sched.Shutdown)

	insp := f.insp
	testenv.WaitFor(t, 30*time.Second, "every task in its state and the scheduler entries published", func() bool {
		info, err := insp.GetQueueInfo("work")
		if err != nil || info.Retry+info.Archived+info.Completed != 3*len(samples) || info.Active != len(samples) {
			return false
		}
		es, err := insp.SchedulerEntries()
		if err != nil || len(es) != len(samples) {
			return false
		}
		// The server reports its active workers at its next heartbeat.
		servers, err := insp.Servers()
		return err == nil && len(servers) == 1 && len(servers[0].ActiveWorkers) == len(samples)
	})

	// The operations pages: every sample as a dead letter whose reason
	// quotes it, and outbox rows whose recipients and errors hold probes.
	rdb := redis.NewClient(&redis.Options{Addr: f.redis.Addr, DB: f.redis.DB})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	for name, payload := range samples {
		kind, _, _ := strings.Cut(name, "/")
		err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "jobs:ingest:dead", Values: []any{
			"kind", kind, "payload", string(payload), "idempotency_key", probeText,
			"error", "refused " + string(payload) + " " + probeText + " token=" + bareSecret}}).Err()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, sql := range []string{
		`INSERT INTO salons (id, name) VALUES (1, 'Salon')`,
		`INSERT INTO campaigns (salon_id, name, body, send_at, status) VALUES (1, 'C', 'B', now(), 'sending')`,
		`INSERT INTO sms_messages (idempotency_key, salon_id, campaign_id, category, kind, to_phone, body, status, error_code, error_message)
			VALUES ('k1', 1, 1, 'marketing', 'campaign', '+447946095812', 'b', 'failed', 30001, '` + probeText + ` to +447946095812')`,
		`INSERT INTO sms_messages (idempotency_key, salon_id, category, kind, to_phone, body, status, error_message)
			VALUES ('k2', 1, 'transactional', 'adhoc', '+447946095812', 'b', 'unknown', '` + probeText + `')`,
		`INSERT INTO email_messages (idempotency_key, template, to_address, status, error)
			VALUES ('k3', 'welcome', 'josé.probe@exämple.com', 'failed', 'outcome unknown: ` + probeText + ` josé.probe@exämple.com')`,
	} {
		if _, err := pg.Pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	opsPages := []string{"/admin", "/admin/ops/campaigns", "/admin/ops/sms", "/admin/ops/emails", "/admin/ops/dead-letters", "/admin/ops/schedules"}

	// Every GET route, every variable filled with every value it can take.
	var paths []string
	for _, r := range asynqmonRoutes(t) {
		if r.Method != http.MethodGet || r.Template == "/api/metrics" {
			continue // metrics come from Prometheus, not from Redis
		}
		switch {
		case strings.Contains(r.Template, "{task_id}"):
			for _, x := range ids {
				paths = append(paths, strings.NewReplacer("{qname}", x.queue, "{task_id}", url.PathEscape(x.id)).Replace(r.Template))
			}
		case strings.Contains(r.Template, "{entry_id}"):
			for _, e := range entries {
				paths = append(paths, strings.Replace(r.Template, "{entry_id}", url.PathEscape(e), 1))
			}
		case strings.Contains(r.Template, "{qname}"):
			for _, q := range []string{"idle", "work"} {
				p := strings.NewReplacer("{qname}", q, "{gname}", "salon-1").Replace(r.Template)
				paths = append(paths, p, p+"?page=1&page_size=100")
			}
		default:
			paths = append(paths, r.Template)
		}
	}
	if len(paths) < 7*len(samples) {
		t.Fatalf("only %d paths to read", len(paths))
	}
	for i, p := range paths {
		paths[i] = RootPath + p
	}
	apiPaths := len(paths)
	paths = append(paths, opsPages...)
	shown := 0
	for _, p := range paths {
		for _, u := range []struct{ name, pass string }{{adminName, adminPass}, {viewerName, viewerPass}} {
			resp, body := f.do(t, req{method: "GET", path: p, user: u.name, pass: u.pass})
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s %s: status %d: %.200s", u.name, p, resp.StatusCode, body)
				continue
			}
			for _, s := range leaked {
				if i := strings.Index(body, s); i >= 0 {
					t.Errorf("%s %s shows %q: …%s…", u.name, p, s, body[max(0, i-120):min(len(body), i+80)])
				}
			}
			if strings.Contains(body, "[redacted]") {
				shown++
			}
		}
	}
	// The walk proves something only if the probes reached the answers.
	if shown < apiPaths {
		t.Errorf("only %d of %d answers showed a redacted value; the probes did not reach the dashboard", shown, 2*len(paths))
	}
}
