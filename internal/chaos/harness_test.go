package chaos

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/salonworks/jobs/internal/metrics"
	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/service"
	"github.com/salonworks/jobs/internal/sms"
	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/internal/sms/twilio"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/internal/worker"
	"github.com/salonworks/jobs/queues"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

var full = flag.Bool("chaos.full", false, "run every scenario at full size, 3,000 recipients (make chaos)")

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "f00dfeedf00dfeedf00dfeedf00dfeed"
	fromNumber = "+15550001111"
)

// intervals are the recovery timings of a run: shortened so a scenario
// takes seconds; production's are outbox.StuckAfter and the sms.Default*
// constants.
type intervals struct {
	stuck, pass, settle time.Duration
}

// smsQueues are the queues a worker serving sms runs, sms and sms_bulk, at
// the catalogue's concurrency (one asynq server each) or at the given
// width: a queue wider than queues.SingleLoopConcurrency is served mostly
// by the worker's batch fetcher.
func smsQueues(width int) []queues.Queue {
	qs, err := queues.Select(queues.SMS)
	if err != nil {
		panic(err)
	}
	if width > 0 {
		for i := range qs {
			qs[i].Concurrency = width
		}
	}
	return qs
}

// batchWidth is the sms queues' width in the scenarios run on the batch
// fetcher: 22 of its 24 slots are the batch fetcher's.
const batchWidth = 24

var short = intervals{stuck: 3 * time.Second, pass: time.Second, settle: 2 * time.Second}

// harness is one scenario's world: its own Postgres schema (reached by the
// daemon through a TCP proxy), Redis database, Twilio stand-in, worker and
// reconciler, and a salon with a campaign.
type harness struct {
	t       *testing.T
	pg      *testenv.Postgres
	rdb     *testenv.Redis
	proxy   *testenv.Proxy
	pool    *pgxpool.Pool // through the proxy: the daemon's
	standin *StandIn
	store   *outbox.Store
	client  *asynq.Client
	worker  *worker.Worker
	rec     *sms.Reconciler
	feeder  service.Service
	crash   *crasher
	logger  *slog.Logger

	salon, campaign int64
	zone            *time.Location // the salon's
	recipients      int
	// blocked are numbers that must get nothing from the given time (zero:
	// ever): no consent, opted out before the campaign or while it is sent.
	blocked map[string]time.Time
}

func newHarness(t *testing.T, recipients int, rate float64, iv intervals, qs []queues.Queue) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, recipients: recipients, blocked: make(map[string]time.Time),
		logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	h.pg = testenv.NewPostgres(t)
	h.rdb = testenv.NewRedis(t)
	u, err := url.Parse(h.pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	h.proxy = testenv.NewProxy(t, u.Host)
	u.Host = h.proxy.Addr()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	if h.pool, err = postgres.Connect(ctx, u.String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.pool.Close)
	h.standin = NewStandIn(t, accountSID, authToken, uint64(time.Now().UnixNano()))
	tw, err := twilio.New(twilio.Config{
		APIBase: h.standin.URL(), AccountSID: accountSID, AuthToken: authToken, From: fromNumber,
		HTTPClient: &http.Client{Timeout: 3 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.store = outbox.New(h.pool)
	h.store.SetStuckAfter(iv.stuck)
	h.client = asynq.NewClientFromRedisClient(h.rdb.Client)
	t.Cleanup(func() { h.client.Close() })
	limiter, err := sms.NewLimiter(h.rdb.Client, fromNumber, rate)
	if err != nil {
		t.Fatal(err)
	}
	h.crash = &crasher{rng: rand.New(rand.NewPCG(1, 2))}
	provider := crashingProvider{Provider: sms.Twilio{C: tw}, c: h.crash}
	sender := &sms.Sender{
		Store: h.store, DB: h.pool, Provider: provider, Limiter: crashingLimiter{RateLimiter: limiter, c: h.crash},
		Enqueue: h.client, Quiet: text.DefaultQuietHours, Logger: h.logger,
	}
	disp := &sms.Dispatcher{DB: h.pool, Store: h.store, Enqueue: h.client, Logger: h.logger, EnqueueWorkers: 16, Lines: limiter}
	h.feeder = (&sms.Feeder{Limiter: limiter, Store: h.store, Enqueue: h.client, Logger: h.logger, Quiet: &sender.Quiet}).Service()
	handlers := worker.NewHandlers()
	worker.Handle(handlers, tasksms.KindSend, sender.Send)
	worker.Handle(handlers, tasksms.KindDispatchCampaigns, disp.DispatchCampaigns)
	h.worker, err = worker.New(worker.Config{
		Redis: h.rdb.Client, Queues: qs,
		Handlers:        handlers,
		ShutdownTimeout: 2 * time.Second, Logger: h.logger, Metrics: metrics.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.rec = &sms.Reconciler{
		Store: h.store, Provider: sms.Twilio{C: tw}, Enqueue: h.client, Redis: h.rdb.Client, Logger: h.logger, Lines: limiter,
		Interval: iv.pass, Settle: iv.settle, Skew: 2 * time.Second, Tasks: asynq.NewInspectorFromRedisClient(h.rdb.Client),
	}
	h.seed(ctx)
	return h
}

// seed stores a salon whose local time is midday (inside the quiet-hours
// window whenever the suite runs), its customers, a few without consent
// or opted out, and a campaign due now.
func (h *harness) seed(ctx context.Context) {
	t := h.t
	offset := 13 - time.Now().UTC().Hour() // hours east of UTC that make it 13:00
	if offset > 12 {
		offset -= 24
	}
	if offset < -12 {
		offset += 24
	}
	zone := fmt.Sprintf("Etc/GMT%+d", -offset) // the Etc zones' sign is inverted
	if offset == 0 {
		zone = "UTC"
	}
	var err error
	if h.zone, err = time.LoadLocation(zone); err != nil {
		t.Fatal(err)
	}
	db := h.pg.Pool
	if err := db.QueryRow(ctx, `INSERT INTO salons (name, timezone) VALUES ('Chaos Salon', $1) RETURNING id`, zone).Scan(&h.salon); err != nil {
		t.Fatal(err)
	}
	for i := range h.recipients {
		phone := fmt.Sprintf("+1555%07d", i)
		consent, optedOut := i%20 != 7, i%20 == 13
		if !consent || optedOut {
			h.blocked[phone] = time.Time{}
		}
		_, err := db.Exec(ctx, `INSERT INTO customers (salon_id, first_name, phone, marketing_consent, sms_opted_out_at)
			VALUES ($1, 'Client', $2, $3, CASE WHEN $4 THEN now() END)`, h.salon, phone, consent, optedOut)
		if err != nil {
			t.Fatal(err)
		}
	}
	err = db.QueryRow(ctx, `INSERT INTO campaigns (salon_id, name, body, send_at)
		VALUES ($1, 'Spring', 'Spring offer: 20% off this week at Chaos Salon. Book: https://salon.example/book', now()) RETURNING id`,
		h.salon).Scan(&h.campaign)
	if err != nil {
		t.Fatal(err)
	}
}

// start runs the worker and the reconciler and dispatches the campaign.
func (h *harness) start() {
	t := h.t
	if err := h.worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.worker.Shutdown)
	if err := h.rec.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.rec.Shutdown)
	if err := h.feeder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.feeder.Shutdown)
	task, err := tasksms.NewDispatchCampaignsTask(tasksms.DispatchCampaignsPayload{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Enqueue(task); err != nil {
		t.Fatal(err)
	}
}

// waitBatchFetchers waits until the worker's batch fetchers, n of them,
// are listed among the servers as the dashboard reads them.
func (h *harness) waitBatchFetchers(n int) {
	h.t.Helper()
	insp := asynq.NewInspectorFromRedisClient(h.rdb.Client)
	testenv.WaitFor(h.t, 10*time.Second, fmt.Sprintf("%d batch fetchers listed", n), func() bool {
		servers, err := insp.Servers()
		if err != nil {
			h.t.Fatal(err)
		}
		found := 0
		for _, s := range servers {
			if strings.HasPrefix(s.ID, "batch-") {
				found++
			}
		}
		return found == n
	})
}

// optOutSome opts out every 50th recipient now, while the campaign goes
// out: none of them may get a text after this.
func (h *harness) optOutSome() {
	ctx := context.Background()
	for i := 3; i < h.recipients; i += 50 {
		phone := fmt.Sprintf("+1555%07d", i)
		if _, ok := h.blocked[phone]; ok {
			continue
		}
		// Texts already at Twilio before the STOP are fine; count only
		// what the stand-in takes afterwards.
		h.blocked[phone] = time.Now()
		if err := outbox.New(h.pg.Pool).OptOut(ctx, phone, nil, outbox.SourceAPI, ""); err != nil {
			h.t.Fatal(err)
		}
	}
}

// rowsUnsettled counts the campaign's rows not final yet (sent counts as
// final: Twilio has the text).
func (h *harness) rowsUnsettled() (int, error) {
	var n int
	err := h.pg.Pool.QueryRow(context.Background(), `
		SELECT count(*) FROM sms_messages WHERE status IN ('pending', 'sending', 'unknown')`).Scan(&n)
	return n, err
}

// waitSettled waits until the campaign is fanned out and every row final,
// and returns how long that took from since.
func (h *harness) waitSettled(since time.Time, within time.Duration) time.Duration {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var status string
		_ = h.pg.Pool.QueryRow(context.Background(), `SELECT status FROM campaigns WHERE id = $1`, h.campaign).Scan(&status)
		if n, err := h.rowsUnsettled(); err == nil && n == 0 && status == "sent" {
			return time.Since(since)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return -1
}

// crasher makes sends die the way a killed worker's do: the attempt's
// goroutine exits at the crash point, so nothing after it runs (no answer
// recorded, no release), and asynq retries the task when its deadline
// passes, as it does after a lost worker's lease.
type crasher struct {
	mu     sync.Mutex
	rng    *rand.Rand
	until  time.Time // crash every send reaching a crash point before this
	counts [3]atomic.Int64
}

// crash points
const (
	beforeHandOver = iota // claimed, gates passed, Twilio not called
	beforeRequest         // handed over, request not sent
	afterAnswer           // Twilio took it, the answer not recorded
)

// kill makes every send reaching a crash point in the next d die there.
func (c *crasher) kill(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.until = time.Now().Add(d)
}

func (c *crasher) maybe(point int) {
	c.mu.Lock()
	dead := time.Now().Before(c.until)
	pick := c.rng.IntN(3)
	c.mu.Unlock()
	if dead && pick == point {
		c.counts[point].Add(1)
		runtime.Goexit()
	}
}

type crashingLimiter struct {
	sms.RateLimiter
	c *crasher
}

func (l crashingLimiter) Wait(ctx context.Context, turn sms.Turn) (time.Duration, error) {
	d, err := l.RateLimiter.Wait(ctx, turn)
	if err == nil && d == 0 {
		l.c.maybe(beforeHandOver)
	}
	return d, err
}

type crashingProvider struct {
	sms.Provider
	c *crasher
}

func (p crashingProvider) Send(ctx context.Context, sender, to, body, cb string) (string, error) {
	p.c.maybe(beforeRequest)
	sid, err := p.Provider.Send(ctx, sender, to, body, cb)
	if err == nil {
		p.c.maybe(afterAnswer)
	}
	return sid, err
}
