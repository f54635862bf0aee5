package emf_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/salonworks/jobs/internal/clock"
	"github.com/salonworks/jobs/internal/emf"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
)

var fixedNow = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// TestPublishReportsEachQueueAndTheTotal enqueues real tasks and checks
// that every line is a valid EMF document carrying the queue's figures,
// and that the total leaves out a paused queue (no worker would take its
// tasks, so scaling out for them would only cost).
func TestPublishReportsEachQueueAndTheTotal(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	client := asynq.NewClient(r.ConnOpt())
	t.Cleanup(func() { client.Close() })
	enqueue := func(queue string, n int, opts ...asynq.Option) {
		t.Helper()
		for i := range n {
			task := asynq.NewTask("test:noop", []byte(fmt.Sprintf(`{"n":%d}`, i)))
			if _, err := client.Enqueue(task, append([]asynq.Option{asynq.Queue(queue)}, opts...)...); err != nil {
				t.Fatalf("enqueue to %s: %v", queue, err)
			}
		}
	}
	enqueue(queues.SMS, 3)
	enqueue(queues.Emails, 2)
	enqueue(queues.Reports, 1, asynq.ProcessIn(time.Hour)) // scheduled, not pending
	enqueue(queues.Sync, 4)
	insp := asynq.NewInspector(r.ConnOpt())
	t.Cleanup(func() { insp.Close() })
	if err := insp.PauseQueue(queues.Sync); err != nil {
		t.Fatalf("pause sync: %v", err)
	}
	// uploads is never touched: it does not exist in Redis and reads as empty.

	var out bytes.Buffer
	p := newPublisher(t, emf.Config{Inspector: insp, Writer: &out})
	if err := p.Publish(); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	docs := parseEMF(t, out.String())
	pending := map[string]float64{}
	var total []float64
	for _, d := range docs {
		if d.Timestamp != fixedNow.UnixMilli() {
			t.Errorf("Timestamp = %d, want %d", d.Timestamp, fixedNow.UnixMilli())
		}
		if d.Namespace != "Jobs" {
			t.Errorf("Namespace = %q, want Jobs", d.Namespace)
		}
		if d.Dims["Environment"] != "production" {
			t.Errorf("Environment = %q, want production", d.Dims["Environment"])
		}
		q, perQueue := d.Dims["Queue"]
		switch {
		case perQueue:
			if diff := cmp.Diff([]string{"PendingTasks:Count", "QueueLatency:Seconds"}, d.Metrics); diff != "" {
				t.Errorf("queue %s metrics (-want +got):\n%s", q, diff)
			}
			pending[q] = d.Values["PendingTasks"]
			if lat := d.Values["QueueLatency"]; lat < 0 || lat > 60 {
				t.Errorf("queue %s latency %v s, want between 0 and 60", q, lat)
			}
		default:
			if diff := cmp.Diff([]string{"PendingTasks:Count"}, d.Metrics); diff != "" {
				t.Errorf("total metrics (-want +got):\n%s", diff)
			}
			total = append(total, d.Values["PendingTasks"])
		}
	}
	want := map[string]float64{"emails": 2, "uploads": 0, "sync": 4, "reports": 0, "sms": 3, "sms_bulk": 0}
	if diff := cmp.Diff(want, pending); diff != "" {
		t.Errorf("pending by queue (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{5}, total); diff != "" {
		t.Errorf("total lines (-want +got):\n%s", diff)
	}
	if docs[len(docs)-1].Dims["Queue"] != "" {
		t.Error("the total line is not last")
	}
	if lat := docs[slices.IndexFunc(docs, func(d doc) bool { return d.Dims["Queue"] == "sms" })].Values["QueueLatency"]; lat <= 0 {
		t.Errorf("sms latency = %v, want above 0 with tasks waiting", lat)
	}
}

// TestPublishLeavesOutTheTotalWhenAQueueFails: a total that misses a queue
// would understate the backlog and let the workers scale in.
func TestPublishLeavesOutTheTotalWhenAQueueFails(t *testing.T) {
	t.Parallel()
	insp := fakeInspector{
		"emails": {Queue: "emails", Pending: 7},
		"sms":    nil, // read fails
	}
	var out bytes.Buffer
	p := newPublisher(t, emf.Config{Inspector: insp, Queues: []string{"emails", "sms"}, Writer: &out})
	err := p.Publish()
	if err == nil || !strings.Contains(err.Error(), "read queue sms") {
		t.Fatalf("Publish error = %v, want one naming queue sms", err)
	}
	docs := parseEMF(t, out.String())
	if len(docs) != 1 || docs[0].Dims["Queue"] != "emails" || docs[0].Values["PendingTasks"] != 7 {
		t.Fatalf("lines = %+v, want only the emails line with 7 pending", docs)
	}
}

// TestStartPublishesUntilShutdown runs the loop on a short interval.
func TestStartPublishesUntilShutdown(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	insp := asynq.NewInspector(r.ConnOpt())
	t.Cleanup(func() { insp.Close() })
	var out syncBuffer
	p := newPublisher(t, emf.Config{Inspector: insp, Writer: &out, Interval: 20 * time.Millisecond, Clock: time.Now})
	if err := p.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(p.Shutdown)
	testenv.WaitFor(t, 10*time.Second, "3 publications", func() bool { return totals(t, out.String()) >= 3 })
	p.Shutdown()
	n := totals(t, out.String())
	time.Sleep(60 * time.Millisecond)
	if m := totals(t, out.String()); m != n {
		t.Errorf("%d publications after Shutdown", m-n)
	}
	p.Shutdown() // a second Shutdown returns at once
}

func TestNewNamesWhatIsMissing(t *testing.T) {
	t.Parallel()
	_, err := emf.New(emf.Config{})
	if err == nil {
		t.Fatal("New(Config{}) succeeded")
	}
	for _, field := range []string{"Inspector", "Queues", "Environment", "Writer", "Logger"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
	p, err := emf.New(emf.Config{Inspector: fakeInspector{}, Queues: []string{"sms"}, Environment: "test", Writer: &bytes.Buffer{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	p.Shutdown() // never started: returns at once
}

func newPublisher(t *testing.T, cfg emf.Config) *emf.Publisher {
	t.Helper()
	if cfg.Queues == nil {
		cfg.Queues = queues.Names()
	}
	if cfg.Environment == "" {
		cfg.Environment = "production"
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Fixed(fixedNow)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	p, err := emf.New(cfg)
	if err != nil {
		t.Fatalf("emf.New: %v", err)
	}
	return p
}

// doc is one validated EMF line, flattened for assertions.
type doc struct {
	Timestamp int64
	Namespace string
	Dims      map[string]string  // dimension key → value
	Metrics   []string           // "Name:Unit"
	Values    map[string]float64 // metric name → value
}

// cloudWatchUnits are the units CloudWatch accepts.
var cloudWatchUnits = []string{
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
	"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
	"Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
	"Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}

// parseEMF checks every line of out against the embedded metric format
// specification (CloudWatch user guide, "Specification: Embedded metric
// format") and returns them flattened: one JSON object per line; _aws with
// an integer Timestamp in milliseconds and a non-empty CloudWatchMetrics;
// each directive with a Namespace, dimension sets whose keys are root
// members with string values, and metric definitions whose names are root
// members with numeric values and whose units CloudWatch knows.
func parseEMF(t *testing.T, out string) []doc {
	t.Helper()
	var docs []doc
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		var root map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &root); err != nil {
			t.Fatalf("not one JSON object per line: %v\n%s", err, line)
		}
		var aws struct {
			Timestamp         *json.Number `json:"Timestamp"`
			CloudWatchMetrics []struct {
				Namespace  string     `json:"Namespace"`
				Dimensions [][]string `json:"Dimensions"`
				Metrics    []struct {
					Name string `json:"Name"`
					Unit string `json:"Unit"`
				} `json:"Metrics"`
			} `json:"CloudWatchMetrics"`
		}
		dec := json.NewDecoder(bytes.NewReader(root["_aws"]))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(&aws); err != nil {
			t.Fatalf("_aws: %v\n%s", err, line)
		}
		if aws.Timestamp == nil {
			t.Fatalf("_aws.Timestamp missing\n%s", line)
		}
		ts, err := aws.Timestamp.Int64()
		if err != nil || ts < 1e12 {
			t.Fatalf("_aws.Timestamp %v is not epoch milliseconds\n%s", aws.Timestamp, line)
		}
		if len(aws.CloudWatchMetrics) != 1 {
			t.Fatalf("want one metric directive, got %d\n%s", len(aws.CloudWatchMetrics), line)
		}
		dir := aws.CloudWatchMetrics[0]
		d := doc{Timestamp: ts, Namespace: dir.Namespace, Dims: map[string]string{}, Values: map[string]float64{}}
		if dir.Namespace == "" || len(dir.Namespace) > 255 {
			t.Fatalf("bad Namespace %q\n%s", dir.Namespace, line)
		}
		if len(dir.Dimensions) == 0 {
			t.Fatalf("Dimensions missing\n%s", line)
		}
		for _, set := range dir.Dimensions {
			if len(set) > 30 {
				t.Fatalf("dimension set over 30 keys\n%s", line)
			}
			for _, key := range set {
				var v string
				if err := json.Unmarshal(root[key], &v); err != nil || v == "" {
					t.Fatalf("dimension %q is not a non-empty string member of the root\n%s", key, line)
				}
				d.Dims[key] = v
			}
		}
		if len(dir.Metrics) == 0 || len(dir.Metrics) > 100 {
			t.Fatalf("%d metric definitions, want 1 to 100\n%s", len(dir.Metrics), line)
		}
		for _, m := range dir.Metrics {
			var v float64
			if err := json.Unmarshal(root[m.Name], &v); err != nil {
				t.Fatalf("metric %q has no numeric value at the root\n%s", m.Name, line)
			}
			if !slices.Contains(cloudWatchUnits, m.Unit) {
				t.Fatalf("metric %q: unit %q is not a CloudWatch unit\n%s", m.Name, m.Unit, line)
			}
			d.Metrics = append(d.Metrics, m.Name+":"+m.Unit)
			d.Values[m.Name] = v
		}
		docs = append(docs, d)
	}
	if len(docs) == 0 {
		t.Fatal("no EMF line written")
	}
	return docs
}

// totals counts the total lines (no Queue dimension) in out.
func totals(t *testing.T, out string) int {
	t.Helper()
	if out == "" {
		return 0
	}
	n := 0
	for _, d := range parseEMF(t, out) {
		if _, ok := d.Dims["Queue"]; !ok {
			n++
		}
	}
	return n
}

// fakeInspector answers from a map; a nil entry fails.
type fakeInspector map[string]*asynq.QueueInfo

func (f fakeInspector) GetQueueInfo(q string) (*asynq.QueueInfo, error) {
	info, ok := f[q]
	switch {
	case !ok:
		return nil, asynq.ErrQueueNotFound
	case info == nil:
		return nil, errors.New("redis: connection refused")
	}
	return info, nil
}

// syncBuffer is a bytes.Buffer safe for the publisher's goroutine and the
// test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
