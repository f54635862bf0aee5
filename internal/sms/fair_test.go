package sms

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/sms/text"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
	"github.com/salonworks/jobs/internal/testenv"
	"github.com/salonworks/jobs/queues"
	tasksms "github.com/salonworks/jobs/tasks/sms"
)

// TestLinesTakeInFairTurns: the texts of salons sharing a sender are taken
// one salon at a time, each salon's in the order of its rows; a salon that
// joins late starts at the others' turn (no catch-up burst), a text put in
// line twice is there once, and a sender whose lines are empty leaves the
// list of senders to feed.
func TestLinesTakeInFairTurns(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	ctx := context.Background()
	l, err := NewLimiter(r.Client, "platform", 10)
	if err != nil {
		t.Fatal(err)
	}
	turn := Turn{Sender: "MGshared"}
	if _, err := l.Join(ctx, turn, 1, 13, 11, 12, 14, 15, 16); err != nil {
		t.Fatal(err)
	}
	got, err := l.take(ctx, "MGshared", 3)
	if err != nil {
		t.Fatal(err)
	}
	// Salon 1 alone: its first three rows, in row order.
	if want := []lined{{11, 1}, {12, 1}, {13, 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("take(3) = %v, want %v", got, want)
	}
	// Salon 2 joins late, salon 3 later still; 21 is put in line twice.
	if _, err := l.Join(ctx, turn, 2, 21, 22, 23, 24); err != nil {
		t.Fatal(err)
	}
	if n, err := l.Join(ctx, turn, 2, 21); err != nil || n != 7 {
		t.Fatalf("Join(again) = %d, %v; want the 7 texts in line", n, err)
	}
	if _, err := l.Join(ctx, turn, 3, 31); err != nil {
		t.Fatal(err)
	}
	got, err = l.take(ctx, "MGshared", 10)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[int64]int{}
	var order []int64
	for i, x := range got {
		counts[x.Salon]++
		order = append(order, x.Row)
		if i > 0 && x.Salon == got[i-1].Salon && counts[1] < 3 && counts[2] < 4 {
			t.Errorf("take: salon %d twice in a row at %d while others wait: %v", x.Salon, i, got)
		}
	}
	if counts[1] != 3 || counts[2] != 4 || counts[3] != 1 || len(got) != 8 {
		t.Errorf("take(10) = %v, want salon 1's 3, salon 2's 4 and salon 3's 1 text", got)
	}
	// Salon 2's first turn comes before salon 1's second: it joined at the
	// lowest tag, not behind salon 1's earlier turns.
	if got[0].Salon == got[1].Salon {
		t.Errorf("take(10) starts %v: the late salon waited behind the early one", got[:2])
	}
	for _, salon := range []int64{1, 2} {
		var last int64
		for _, x := range got {
			if x.Salon == salon {
				if x.Row < last {
					t.Errorf("salon %d's rows out of order: %v", salon, order)
				}
				last = x.Row
			}
		}
	}
	if n, err := l.InLine(ctx, "MGshared"); err != nil || n != 0 {
		t.Errorf("InLine after the lines ran dry = %d, %v; want 0", n, err)
	}
	senders, err := l.lineSenders(ctx)
	if err != nil || len(senders) != 0 {
		t.Errorf("senders to feed = %v, %v; want none", senders, err)
	}
}

// salonOf maps each number the fake texted to the salon of its customer.
func (f *fixture) salonOf(t testing.TB) map[string]int64 {
	t.Helper()
	rows, _ := f.pool.Query(context.Background(), `SELECT phone, salon_id FROM customers`)
	out := map[string]int64{}
	var phone string
	var salon int64
	if _, err := pgx.ForEachRow(rows, []any{&phone, &salon}, func() error { out[phone] = salon; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// liveSender is the send handler with a limiter of the platform's sender
// at rate, on the wall clock, with quiet hours open all day (the wall
// clock's hour must not matter).
func (f *fixture) liveSender(t testing.TB, rate float64) *Sender {
	t.Helper()
	l, err := NewLimiter(f.rdb.Client, serviceSID, rate)
	if err != nil {
		t.Fatal(err)
	}
	s := f.sender()
	s.Clock, s.Limiter, s.DefaultSender = nil, l, serviceSID
	s.Quiet = text.QuietHours{Start: 0, End: 24 * time.Hour}
	f.fake.SetClock(nil)
	f.clock.Set(time.Now())
	return s
}

// setSender gives salon its own sender at rate texts a second.
func (f *fixture) setSender(t testing.TB, salon int64, sender string, rate float64) {
	t.Helper()
	if _, err := f.pool.Exec(context.Background(), `UPDATE salons SET sms_sender = $2, sms_rate_per_second = $3 WHERE id = $1`, salon, sender, rate); err != nil {
		t.Fatalf("set the sender of salon %d: %v", salon, err)
	}
}

// watchedLimiter is a limiter of the platform's sender at rate on a Redis
// connection of its own, whose commands tell what the Feeder takes from
// the lines, in order, and when a transactional text waits for a turn of
// sender.
func (f *fixture) watchedLimiter(t testing.TB, rate float64, sender string) (*Limiter, *lineWatch) {
	t.Helper()
	w := &lineWatch{priority: PriorityKey(sender)}
	rdb := redis.NewClient(&redis.Options{Addr: f.rdb.Addr, DB: f.rdb.DB})
	rdb.AddHook(w)
	t.Cleanup(func() { rdb.Close() })
	l, err := NewLimiter(rdb, serviceSID, rate)
	if err != nil {
		t.Fatal(err)
	}
	return l, w
}

// lineWatch watches a limiter's commands: the texts taken from the lines,
// in order, and a transactional text registered as waiting for a sender
// (ZADD to its priority key) until it lets go (ZREM), with the texts taken
// meanwhile.
type lineWatch struct {
	priority string

	mu           sync.Mutex
	taken        []lined
	waiting      bool
	waited       int
	takenWaiting int
}

// takes returns the texts taken so far, in order.
func (w *lineWatch) takes() []lined {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.taken)
}

// waits returns how many times a transactional text waited for the sender,
// and how many texts were taken from the lines while one did.
func (w *lineWatch) waits() (waited, taken int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waited, w.takenWaiting
}

func (w *lineWatch) DialHook(next redis.DialHook) redis.DialHook { return next }

func (w *lineWatch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (w *lineWatch) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		args := cmd.Args()
		if cmd.Name() == "zrem" && len(args) > 1 && args[1] == w.priority {
			w.mu.Lock()
			w.waiting = false // from when it is asked: its turn is taken
			w.mu.Unlock()
		}
		err := next(ctx, cmd)
		w.mu.Lock()
		defer w.mu.Unlock()
		switch {
		case err != nil:
		case cmd.Name() == "zadd" && len(args) > 1 && args[1] == w.priority:
			w.waiting = true
			w.waited++
		case takesFromLines(args):
			res, _ := cmd.(*redis.Cmd).Int64Slice()
			for i := 0; i+1 < len(res); i += 2 {
				w.taken = append(w.taken, lined{Row: res[i], Salon: res[i+1]})
			}
			if w.waiting {
				w.takenWaiting += len(res) / 2
			}
		}
		return err
	}
}

// takesFromLines reports whether args are a call of takeFromLines, by
// its hash or its source.
func takesFromLines(args []any) bool {
	if len(args) < 2 {
		return false
	}
	switch src, _ := args[1].(string); args[0] {
	case "evalsha":
		return src == takeFromLines.Hash()
	case "eval":
		return fmt.Sprintf("%x", sha1.Sum([]byte(src))) == takeFromLines.Hash()
	}
	return false
}

// dispatchInLine runs sms:dispatch_campaigns on the wall clock with the
// campaigns' texts put in line for l's senders, as a worker does, and
// returns the dispatcher for another run.
func (f *fixture) dispatchInLine(t testing.TB, l *Limiter) *Dispatcher {
	t.Helper()
	d := f.dispatcher()
	d.Clock, d.Lines = nil, l
	if err := d.DispatchCampaigns(context.Background(), nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFairTurnsAcrossSalonsOnOneSender: two salons share one sender at
// 20/s. The first salon's 2,000-recipient campaign has the sender to
// itself until the second's starts; from then on the Feeder hands the
// sender's turns to both alike (the 200 after the second joined: equal
// within 10 %), and the two together never go above the sender's rate.
//
// The shares are those of the turns handed out, read from the limiter's
// commands: at the fake the first 200 texts after the second campaign
// joined also hold the first's texts handed their turns before it (up to
// a quarter second's, and more while sms_bulk lags on a busy machine).
func TestFairTurnsAcrossSalonsOnOneSender(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a worker for about ten seconds")
	}
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	first, _ := f.campaignWith(t, 2000)
	const shared = "+15550007100"
	f.setSender(t, first, shared, 20)
	s := f.liveSender(t, 1)
	l, lines := f.watchedLimiter(t, 1, shared)
	s.Limiter = l
	// The first campaign has the sender to itself for a while; the
	// second starts once the first is well under way.
	d := f.dispatchInLine(t, l)
	stop := startWorker(t, f, s)
	defer stop()
	waitSent(t, f, 30, time.Minute)
	second, _ := f.campaignWith(t, 2000)
	f.setSender(t, second, shared, 20)
	if err := d.DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
		t.Fatal(err)
	}
	from := len(lines.takes())
	start := len(f.fake.Messages())
	waitSent(t, f, start+200, time.Minute)
	testenv.WaitFor(t, time.Minute, "200 turns handed out after the second campaign joined", func() bool { return len(lines.takes()) >= from+200 })
	counts := map[int64]int{}
	for _, taken := range lines.takes()[from : from+200] {
		counts[taken.Salon]++
	}
	a, b := counts[first], counts[second]
	if diff := math.Abs(float64(a-b)) / float64(max(a, b)); diff > 0.10 {
		t.Errorf("salons' shares of the sender's turns = %d and %d, want equal within 10 %%", a, b)
	}
	salonOf := f.salonOf(t)
	arrived := map[int64]int{}
	window := f.fake.Messages()[start : start+200]
	for _, m := range window {
		arrived[salonOf[m.To]]++
		if m.From != shared {
			t.Fatalf("text to %s left from %q, want the shared %s", m.To, m.From, shared)
		}
	}
	t.Logf("200 turns once both campaigns run: salon %d %d, salon %d %d; the first 200 texts at the fake: %d and %d",
		first, a, second, b, arrived[first], arrived[second])
	// Shared, not one rate each: never above the sender's 20/s (a busy
	// machine can only make it slower).
	if r := rateOf(window); r > 20*1.05 {
		t.Errorf("shared sender's rate = %.2f/s, want at most 20/s (within 5 %%)", r)
	}
}

// rateOf is the rate at which msgs reached the fake: the least-squares
// slope of the count of texts over their arrival times, which a few texts
// arriving together (a queue polled twice a second) at either end of the
// window do not skew.
func rateOf(msgs []twiliofake.Message) float64 {
	if len(msgs) < 2 {
		return 0
	}
	t0 := msgs[0].DateCreated
	var sx, sy, sxx, sxy float64
	for i, m := range msgs {
		x, y := m.DateCreated.Sub(t0).Seconds(), float64(i)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(msgs))
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// TestSenderRatesWithTwoWorkers: two salons with their own senders (a
// number at 20/s, a Messaging Service at 10/s) and one on the platform's
// sender (5/s) each run a campaign through two worker processes: every
// text leaves from its salon's sender, no sender goes faster than its
// setting across the two workers, and each has a rate of its own: the
// senders' measured rates stand to one another as their settings do
// (within a quarter; a busy machine slows them all, so the rates
// themselves are only logged; on a quiet one they are within 1 % of the
// settings).
func TestSenderRatesWithTwoWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two workers for about ten seconds")
	}
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	want := map[string]float64{ownNumber: 20, ownService: 10, serviceSID: 5}
	salons := map[int64]string{}
	for sender, rate := range want {
		salon, _ := f.campaignWith(t, int(rate*12))
		salons[salon] = sender
		if sender == serviceSID {
			continue // the platform's, at the platform's rate
		}
		f.setSender(t, salon, sender, rate)
	}
	s := f.liveSender(t, 5)
	f.dispatchInLine(t, s.Limiter.(*Limiter))
	stop1 := startWorker(t, f, s)
	defer stop1()
	stop2 := startWorker(t, f, s)
	defer stop2()
	// Ten seconds of the slowest sender: 50 texts at 5/s.
	salonOf := f.salonOf(t)
	deadline := time.Now().Add(time.Minute)
	for {
		n := 0
		for _, m := range f.fake.Messages() {
			if salons[salonOf[m.To]] == serviceSID {
				n++
			}
		}
		if n >= 52 {
			break
		}
		if time.Now().After(deadline) {
			rows, _ := f.pool.Query(ctx, `SELECT salon_id, status || coalesce(':' || wait_reason, '') || coalesce(':' || skip_reason, ''), count(*) FROM sms_messages GROUP BY 1, 2`)
			for rows.Next() {
				var salon int64
				var st string
				var c int
				_ = rows.Scan(&salon, &st, &c)
				t.Logf("salon %d (%s): %s %d", salon, salons[salon], st, c)
			}
			rows.Close()
			t.Fatalf("the platform's sender sent %d texts in a minute, want 52", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	by := map[string][]twiliofake.Message{}
	for _, m := range f.fake.Messages() {
		sender := salons[salonOf[m.To]]
		got := m.From
		if got == "" {
			got = m.MessagingServiceSID
		}
		if got != sender {
			t.Errorf("text to %s left from %q, want its salon's %s", m.To, got, sender)
		}
		by[sender] = append(by[sender], m)
	}
	got := map[string]float64{}
	for sender, rate := range want {
		msgs := by[sender]
		// From the second turn (the first pass may take two at once) to
		// ten seconds' worth at the sender's rate.
		n := min(len(msgs), int(rate*10)+2)
		got[sender] = rateOf(msgs[2:n])
		t.Logf("%s: %d texts, %.2f/s (setting %.0f/s)", sender, n-2, got[sender], rate)
		if got[sender] > rate*1.05 {
			t.Errorf("%s sent at %.2f/s, want at most %.0f/s (within 5 %%)", sender, got[sender], rate)
		}
	}
	for _, sender := range []string{ownNumber, ownService} {
		ratio, setting := got[sender]/got[serviceSID], want[sender]/want[serviceSID]
		if math.Abs(ratio-setting)/setting > 0.25 {
			t.Errorf("%s sent %.2f times as fast as the platform's sender, want %.0f (their settings' ratio, within a quarter)", sender, ratio, setting)
		}
	}
}

// TestFeederHandsTurnsOnlyToTextsStillToSend: two salons share a sender;
// the first one's campaign is cancelled while its texts wait in line. One
// Feeder pass hands turns to the second salon's texts only, each a task in
// sms_bulk named for its turn, and empties the lines: the cancelled texts
// take no turn and get no task.
func TestFeederHandsTurnsOnlyToTextsStillToSend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	l, err := NewLimiter(f.rdb.Client, serviceSID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	d := f.dispatcher()
	d.Lines = l
	_, cancelled := f.campaignWith(t, 10)
	if err := d.DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
		t.Fatal(err)
	}
	f.setCampaign(t, cancelled, "cancelled")
	_, going := f.campaignWith(t, 3)
	if err := d.DispatchCampaigns(ctx, nil, &tasksms.DispatchCampaignsPayload{}); err != nil {
		t.Fatal(err)
	}
	if n, err := l.InLine(ctx, serviceSID); err != nil || n != 13 {
		t.Fatalf("InLine = %d, %v; want the 13 texts", n, err)
	}
	if ids := f.pendingTaskIDs(t); len(ids) != 0 {
		t.Fatalf("the fan-outs enqueued %v, want every text in line with no task", ids)
	}
	if got := f.statuses(t, going); got["pending:rate_limited"] != 3 {
		t.Fatalf("rows in line = %v, want 3 pending rate_limited", got)
	}
	sm, err := NewSendMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	feeder := &Feeder{Limiter: l, Store: f.store, Enqueue: f.client, Logger: f.logger, Metrics: sm}
	if err := feeder.Feed(ctx); err != nil {
		t.Fatal(err)
	}
	tasks, err := f.insp.ListPendingTasks(queues.SMSBulk)
	if err != nil {
		t.Fatal(err)
	}
	var rows []int64
	for _, ti := range tasks {
		if !strings.Contains(ti.ID, ":turn:") {
			t.Errorf("task %s is not named for a turn", ti.ID)
		}
		var p tasksms.SendPayload
		if err := json.Unmarshal(ti.Payload, &p); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, p.MessageID)
	}
	want := f.ids(t, `SELECT id FROM sms_messages WHERE campaign_id = $1 ORDER BY id`, going)
	slices.Sort(rows)
	if !slices.Equal(rows, want) {
		t.Errorf("turns handed to rows %v, want the going campaign's %v", rows, want)
	}
	if n, err := l.InLine(ctx, serviceSID); err != nil || n != 0 {
		t.Errorf("InLine after the pass = %d, %v; want 0", n, err)
	}
	if got := testutil.ToFloat64(sm.Handed); got != 3 {
		t.Errorf("turns handed = %v, want 3", got)
	}
	if n := testutil.CollectAndCount(sm.TurnWait); n != 1 {
		t.Errorf("turn-wait series = %d, want one (marketing)", n)
	}
}

// ids runs a query of one bigint column.
func (f *fixture) ids(t testing.TB, sql string, args ...any) []int64 {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLinesComeBackAfterRedisLostItsData: a campaign waits in line when
// Redis loses its data (a restart without persistence). The reconciler's
// next pass puts its texts back in line, with no task each, and a worker
// then sends every one, once.
func TestLinesComeBackAfterRedisLostItsData(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a worker")
	}
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	_, campaign := f.campaignWith(t, 40)
	s := f.liveSender(t, 200)
	l := s.Limiter.(*Limiter)
	f.dispatchInLine(t, l)
	if err := f.rdb.Client.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	r := f.reconciler()
	r.Clock, r.Lines = nil, l
	if err := r.Pass(ctx); err != nil {
		t.Fatalf("Pass() = %v", err)
	}
	if n, err := l.InLine(ctx, serviceSID); err != nil || n != 40 {
		t.Fatalf("InLine after the pass = %d, %v; want the 40 texts back", n, err)
	}
	if ids := f.pendingTaskIDs(t); len(ids) != 0 {
		t.Errorf("the pass enqueued %d tasks, want the texts in line with none", len(ids))
	}
	stop := startWorker(t, f, s)
	defer stop()
	waitSent(t, f, 40, time.Minute)
	time.Sleep(200 * time.Millisecond) // a duplicate would show now
	// wait_reason stays on a sent row as its history.
	if got := f.statuses(t, campaign); got["sent"]+got["sent:rate_limited"] != 40 || len(f.fake.Messages()) != 40 {
		t.Errorf("rows = %v and %d texts at the fake, want 40 sent once each", got, len(f.fake.Messages()))
	}
}

// TestPausedCampaignInLineResumes: a campaign waits in line when the API
// pauses it. The Feeder hands none of its texts a turn (they leave the
// line), the reconciler's pass marks them campaign_paused, and once the
// campaign sends again the pass brings them back (through sms_bulk, into
// the line): a worker then sends every one, once.
func TestPausedCampaignInLineResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a worker")
	}
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	_, campaign := f.campaignWith(t, 30)
	s := f.liveSender(t, 200)
	l := s.Limiter.(*Limiter)
	f.dispatchInLine(t, l)
	f.setCampaign(t, campaign, "paused")
	feeder := &Feeder{Limiter: l, Store: f.store, Enqueue: f.client, Logger: f.logger}
	if err := feeder.Feed(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := f.pendingTaskIDs(t); len(ids) != 0 {
		t.Fatalf("the Feeder handed turns to a paused campaign: %v", ids)
	}
	r := f.reconciler()
	r.Clock, r.Lines = nil, l
	if err := r.Pass(ctx); err != nil {
		t.Fatalf("Pass() = %v", err)
	}
	if got := f.statuses(t, campaign); got["pending:campaign_paused"] != 30 {
		t.Fatalf("rows while paused = %v, want 30 pending campaign_paused", got)
	}
	f.setCampaign(t, campaign, "sending")
	if err := r.Pass(ctx); err != nil {
		t.Fatalf("Pass() = %v", err)
	}
	stop := startWorker(t, f, s)
	defer stop()
	waitSent(t, f, 30, time.Minute)
	time.Sleep(200 * time.Millisecond) // a duplicate would show now
	seen := map[string]int{}
	for _, m := range f.fake.Messages() {
		seen[m.To]++
	}
	if len(seen) != 30 || len(f.fake.Messages()) != 30 {
		t.Errorf("fake holds %d texts to %d numbers, want 30 to 30", len(f.fake.Messages()), len(seen))
	}
}

// TestFeederHoldsTextsOfSalonsInQuietHours: two salons share a sender; it
// is night at one of them. A Feeder pass hands its turns to the other
// salon's texts only; the night salon's wait, pending quiet_hours, for the
// opening of its window, each with its send scheduled then in sms_bulk.
func TestFeederHoldsTextsOfSalonsInQuietHours(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	now := time.Now()
	// Zones where it is now 02:00 and 13:00 (Etc zones' signs are inverted).
	zoneAt := func(hour int) string {
		off := (hour - now.UTC().Hour() + 24) % 24
		if off > 12 {
			off -= 24
		}
		if off == 0 {
			return "UTC"
		}
		return fmt.Sprintf("Etc/GMT%+d", -off)
	}
	l, err := NewLimiter(f.rdb.Client, serviceSID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	night, nightCampaign := f.campaignWith(t, 4)
	day, dayCampaign := f.campaignWith(t, 3)
	for salon, zone := range map[int64]string{night: zoneAt(2), day: zoneAt(13)} {
		if _, err := f.pool.Exec(ctx, `UPDATE salons SET timezone = $2 WHERE id = $1`, salon, zone); err != nil {
			t.Fatal(err)
		}
	}
	f.dispatchInLine(t, l)
	quiet := text.DefaultQuietHours
	feeder := &Feeder{Limiter: l, Store: f.store, Enqueue: f.client, Logger: f.logger, Quiet: &quiet}
	if err := feeder.Feed(ctx); err != nil {
		t.Fatal(err)
	}
	handed, err := f.insp.ListPendingTasks(queues.SMSBulk)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.ids(t, `SELECT id FROM sms_messages WHERE campaign_id = $1`, dayCampaign); len(handed) != len(want) {
		t.Errorf("%d turns handed, want the day salon's %d texts only", len(handed), len(want))
	}
	if got := f.statuses(t, nightCampaign); got["pending:quiet_hours"] != 4 {
		t.Fatalf("night salon's rows = %v, want 4 pending quiet_hours", got)
	}
	loc, _ := time.LoadLocation(zoneAt(2))
	opening := quiet.NextOpening(now, loc)
	for _, id := range f.ids(t, `SELECT id FROM sms_messages WHERE campaign_id = $1`, nightCampaign) {
		f.wantTaskAt(t, id, opening)
	}
	if n, err := l.InLine(ctx, serviceSID); err != nil || n != 0 {
		t.Errorf("InLine after the pass = %d, %v; want 0", n, err)
	}
}
