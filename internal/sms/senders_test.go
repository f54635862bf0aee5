package sms

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/twilio/twiliofake"
	"github.com/salonworks/jobs/internal/taskerr"
)

// Two salons' own senders: a number and a Messaging Service.
const (
	ownNumber  = "+15550007001"
	ownService = "MGfedcba9876543210fedcba9876543210"
)

// ownSenderSalon inserts a salon sending from sender at rate texts a
// second (zero: the platform's rate).
func (f *fixture) ownSenderSalon(t testing.TB, name, sender string, rate float64) int64 {
	t.Helper()
	id := f.salon(t, name, "America/New_York")
	var r any
	if rate != 0 {
		r = rate
	}
	if _, err := f.pool.Exec(context.Background(), `UPDATE salons SET sms_sender = $2, sms_rate_per_second = $3 WHERE id = $1`, id, sender, r); err != nil {
		t.Fatalf("set the sender of salon %d: %v", id, err)
	}
	return id
}

// TestEachSalonSendsFromItsSender: a salon with its own number, one with
// its own Messaging Service and one on the platform's sender each send two
// confirmations. The first leaves from the salon's sender (From, or
// MessagingServiceSid, at the fake) and the row records it; the second
// waits for the next turn of that sender at the salon's rate, whatever the
// other senders did.
func TestEachSalonSendsFromItsSender(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	s := f.sender()
	s.DefaultSender = serviceSID
	l, err := NewLimiter(f.rdb.Client, serviceSID, 1)
	if err != nil {
		t.Fatal(err)
	}
	l.MaxWait = 0 // never sleep: the wait is read from the rescheduled row
	s.Limiter = l

	salons := []struct {
		name      string
		id        int64
		to        [2]string
		from, svc string // what the fake must see
		recorded  string
		period    time.Duration // one turn at the salon's rate
	}{
		{name: "own number at 2/s", id: f.ownSenderSalon(t, "Number", ownNumber, 2), to: [2]string{"+15555557001", "+15555557002"},
			from: ownNumber, recorded: ownNumber, period: 500 * time.Millisecond},
		{name: "own service at 0.5/s", id: f.ownSenderSalon(t, "Service", ownService, 0.5), to: [2]string{"+15555557011", "+15555557012"},
			svc: ownService, recorded: ownService, period: 2 * time.Second},
		{name: "platform sender at the platform's 1/s", id: f.salon(t, "Platform", "America/New_York"), to: [2]string{"+15555557021", "+15555557022"},
			svc: serviceSID, recorded: serviceSID, period: time.Second},
	}
	for _, sl := range salons {
		var ids [2]int64
		for i, to := range sl.to {
			ids[i] = f.message(t, sl.id, f.customer(t, sl.id, to, true), outbox.KindConfirmation, to)
		}
		for _, id := range ids {
			if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); err != nil {
				t.Fatalf("%s: Send(%d) = %v", sl.name, id, err)
			}
		}
		at := f.fake.SentTo(sl.to[0])
		if len(at) != 1 {
			t.Fatalf("%s: fake holds %d texts to the first customer, want 1", sl.name, len(at))
		}
		if at[0].From != sl.from || at[0].MessagingServiceSID != sl.svc {
			t.Errorf("%s: sent with From %q MessagingServiceSid %q, want %q %q", sl.name, at[0].From, at[0].MessagingServiceSID, sl.from, sl.svc)
		}
		if m := f.get(t, ids[0]); m.Status != outbox.StatusSent || m.Sender != sl.recorded {
			t.Errorf("%s: first row %s from %q, want sent from %q", sl.name, m.Status, m.Sender, sl.recorded)
		}
		// The second text waits for this sender's next turn: one period
		// at the salon's rate after the first (less the few milliseconds
		// between the two turns), not the platform's, and not free.
		if n := len(f.fake.SentTo(sl.to[1])); n != 0 {
			t.Errorf("%s: second text reached the fake within the same turn", sl.name)
		}
		m := f.get(t, ids[1])
		wait := m.SendAfter.Sub(t0)
		if m.Status != outbox.StatusPending || m.WaitReason != outbox.WaitRateLimited || wait <= sl.period-250*time.Millisecond || wait > sl.period {
			t.Errorf("%s: second row %s (%s) to go after %s, want pending, %s, after (%s - 250ms, %s]",
				sl.name, m.Status, m.WaitReason, wait, outbox.WaitRateLimited, sl.period, sl.period)
		}
	}
}

// TestLimiterTurnsPerSender: every sender has a GCRA of its own at its own
// rate, shared through Redis by every limiter (every worker): a turn taken
// on one sender leaves the others' free, and the next turn of a sender is
// one period of its rate away for any worker.
func TestLimiterTurnsPerSender(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	worker := func() *Limiter {
		l, err := NewLimiter(f.rdb.Client, "platform", 4)
		if err != nil {
			t.Fatal(err)
		}
		l.MaxWait = 0
		return l
	}
	a, b := worker(), worker()
	turns := []struct {
		turn   Turn
		period time.Duration
	}{
		{Turn{Transactional: true}, 250 * time.Millisecond},                               // the platform's sender and rate
		{Turn{Sender: ownNumber, Rate: 0.5, Transactional: true}, 2 * time.Second},        // a salon's number, slower
		{Turn{Sender: ownService, Rate: 10, Transactional: true}, 100 * time.Millisecond}, // a salon's service, faster
		{Turn{Sender: "+15550007002", Transactional: true}, 250 * time.Millisecond},       // own sender, the platform's rate
	}
	// One turn of each sender is free, whatever was taken on the others.
	for _, tt := range turns {
		if d, err := a.Wait(ctx, tt.turn); d != 0 || err != nil {
			t.Fatalf("first turn of %+v = %s, %v; want it free", tt.turn, d, err)
		}
	}
	// The second, asked by the other worker, is about one period away.
	for _, tt := range turns {
		d, err := b.Wait(ctx, tt.turn)
		if err != nil || d <= tt.period/2 || d > tt.period {
			t.Errorf("second turn of %+v = %s, %v; want (%s, %s]", tt.turn, d, err, tt.period/2, tt.period)
		}
	}
	if _, err := a.Wait(ctx, Turn{Sender: ownNumber, Rate: -1}); err == nil {
		t.Error("a negative rate was accepted")
	}
}

// TestReconcileLooksUpUnderTheRowsSender: a salon's text to a customer
// whose answer was lost is found under the salon's own number, and only
// there: a row whose recorded sender sent nothing to that customer finds
// nothing, though the platform's sender and another number did text them.
func TestReconcileLooksUpUnderTheRowsSender(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	s := f.sender()
	s.DefaultSender = serviceSID
	const to = "+15555557101"
	own := f.ownSenderSalon(t, "Number", ownNumber, 0)
	platform := f.salon(t, "Platform", "America/New_York")
	// The platform's sender texts the customer first, and is answered.
	first := f.message(t, platform, f.customer(t, platform, to, true), outbox.KindConfirmation, to)
	if err := handler(s).ProcessTask(context.Background(), sendTask(t, first)); err != nil {
		t.Fatal(err)
	}
	// Then the salon's own number, twice, both answers lost.
	cust := f.customer(t, own, to, true)
	lost := f.message(t, own, cust, outbox.KindConfirmation, to)
	moved := f.message(t, own, cust, outbox.KindReview, to)
	f.fake.Script(to, twiliofake.AcceptThenFail5xx(), twiliofake.AcceptThenFail5xx())
	for _, id := range []int64{lost, moved} {
		if err := handler(s).ProcessTask(context.Background(), sendTask(t, id)); !taskerr.IsPermanent(err) {
			t.Fatalf("Send(%d) = %v, want a permanent error", id, err)
		}
		if m := f.get(t, id); m.Status != outbox.StatusUnknown || m.Sender != ownNumber {
			t.Fatalf("row %d = %s from %q, want unknown from %s", id, m.Status, m.Sender, ownNumber)
		}
	}
	// As if the second had been handed over from a number that never
	// texted this customer.
	if _, err := f.pool.Exec(context.Background(), `UPDATE sms_messages SET sender = '+15550007999' WHERE id = $1`, moved); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(30 * time.Second))
	if err := f.reconciler().Pass(context.Background()); err != nil {
		t.Fatalf("Pass() = %v", err)
	}
	var fromOwn string
	for _, m := range f.fake.SentTo(to) {
		if m.From == ownNumber && m.Body == f.get(t, lost).Body {
			fromOwn = m.SID
		}
	}
	if m := f.get(t, lost); m.Status != outbox.StatusSent || fromOwn == "" || m.TwilioSID != fromOwn {
		t.Errorf("lost row = %s with SID %q, want sent with %q (its own number's)", m.Status, m.TwilioSID, fromOwn)
	}
	if m := f.get(t, moved); m.Status != outbox.StatusUnknown || m.AbsentAt.IsZero() {
		t.Errorf("row of a sender that sent nothing = %s (absent at %v), want unknown and found absent", m.Status, m.AbsentAt)
	}
}

// TestInboundStopToASalonsOwnSender: a STOP to a salon's own number opts
// the customer out (of every salon, as one to the platform's sender does)
// and the event names that salon; START to it opts back in.
func TestInboundStopToASalonsOwnSender(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	own := f.ownSenderSalon(t, "Number", ownNumber, 0)
	other := f.salon(t, "Platform", "America/New_York")
	const from = "+15555557201"
	f.customer(t, own, from, true)
	f.customer(t, other, from, true)
	srv := f.hooks(t)
	form := inbound(from, "STOP")
	form.Set("To", ownNumber)
	if code, body := signed(t, srv, "/webhooks/twilio/inbound", form); code != http.StatusOK {
		t.Fatalf("inbound STOP = %d %q", code, body)
	}
	if n := f.count(t, `SELECT count(*) FROM customers WHERE phone = $1 AND sms_opted_out_at IS NOT NULL`, from); n != 2 {
		t.Errorf("%d customers opted out, want 2 (both salons)", n)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_opt_events WHERE phone = $1 AND action = 'opt_out' AND salon_id = $2`, from, own); n != 1 {
		t.Errorf("%d opt-out events name the salon whose number got the STOP, want 1", n)
	}
	if out, err := f.store.IsOptedOut(context.Background(), from); err != nil || !out {
		t.Errorf("IsOptedOut() = %v, %v; want true", out, err)
	}
	form = inbound(from, "START")
	form.Set("To", ownNumber)
	if code, body := signed(t, srv, "/webhooks/twilio/inbound", form); code != http.StatusOK {
		t.Fatalf("inbound START = %d %q", code, body)
	}
	if n := f.count(t, `SELECT count(*) FROM sms_opt_events WHERE phone = $1 AND action = 'opt_in' AND salon_id = $2`, from, own); n != 1 {
		t.Errorf("%d opt-in events name the salon, want 1", n)
	}
	if out, err := f.store.IsOptedOut(context.Background(), from); err != nil || out {
		t.Errorf("IsOptedOut() after START = %v, %v; want false", out, err)
	}
}

// TestBulkYieldsToTransactional: while a transactional text waits for a
// sender, a bulk text takes no turn of it (another sender's is free); once
// texts wait in the sender's lines, a new bulk text goes behind them even
// when a turn is free, and is told the wait of the line.
func TestBulkYieldsToTransactional(t *testing.T) {
	t.Parallel()
	f := newFixture(t, t0)
	ctx := context.Background()
	l, err := NewLimiter(f.rdb.Client, "platform", 2)
	if err != nil {
		t.Fatal(err)
	}
	turn := Turn{Sender: ownNumber}
	// A transactional waiter of ownNumber, as registered by Wait.
	if err := f.rdb.Client.ZAdd(ctx, PriorityKey(ownNumber), redis.Z{Score: float64(time.Now().Add(time.Minute).UnixMilli()), Member: "waiter"}).Err(); err != nil {
		t.Fatal(err)
	}
	if d, err := l.Wait(ctx, turn); err != nil || d == 0 {
		t.Fatalf("bulk turn while a transactional text waits = %s, %v; want a wait", d, err)
	}
	if d, err := l.Wait(ctx, Turn{Sender: ownService}); err != nil || d != 0 {
		t.Fatalf("bulk turn of another sender = %s, %v; want it free", d, err)
	}
	// The waiter leaves: the bulk line goes on, one slot per period.
	f.rdb.Client.ZRem(ctx, PriorityKey(ownNumber), "waiter")
	if d, err := l.Wait(ctx, turn); err != nil || d != 0 {
		t.Fatalf("bulk turn once the waiter left = %s, %v; want it free", d, err)
	}
	if d, err := l.Wait(ctx, turn); err != nil || d == 0 {
		t.Fatalf("bulk turn just after one = %s, %v; want a wait", d, err)
	}
	// The salon's own sender runs at the platform's 2/s here: three
	// texts in line and the next is told four turns, 2 s.
	if n, err := l.Join(ctx, turn, 7, 101, 102, 103); err != nil || n != 3 {
		t.Fatalf("Join() = %d, %v; want 3 in line", n, err)
	}
	time.Sleep(600 * time.Millisecond) // a turn is free again
	if d, err := l.Wait(ctx, turn); err != nil || d != 2*time.Second {
		t.Fatalf("bulk turn behind a line of 3 = %s, %v; want 2s", d, err)
	}
}
