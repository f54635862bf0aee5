package outbox

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOptOutAndIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const phone, other = "+15555550101", "+15555550199"
	second := f.salon(t, "Other Salon")
	f.customer(t, second, phone)
	f.customer(t, second, other)

	optedOut := func() []bool {
		t.Helper()
		var got []bool
		for _, p := range []string{phone, other} {
			out, err := f.store.IsOptedOut(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, out)
		}
		return got
	}
	flagged := func() int {
		return f.count(t, `SELECT count(*) FROM customers WHERE sms_opted_out_at IS NOT NULL`)
	}

	if diff := cmp.Diff([]bool{false, false}, optedOut()); diff != "" {
		t.Fatalf("before: IsOptedOut (-want +got):\n%s", diff)
	}
	// STOP through the first salon applies in both.
	if err := f.store.OptOut(ctx, phone, &f.salonID, SourceInbound, "STOP"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{true, false}, optedOut()); diff != "" {
		t.Errorf("after OptOut: IsOptedOut (-want +got):\n%s", diff)
	}
	if n := flagged(); n != 2 {
		t.Errorf("customers opted out = %d, want 2 (both salons)", n)
	}
	var first string
	mustScan(t, f, `SELECT sms_opted_out_at::text FROM customers WHERE id = $1`, []any{f.customerID}, &first)
	if err := f.store.OptOut(ctx, phone, nil, SourceError21610, ""); err != nil {
		t.Fatal(err)
	}
	var still string
	mustScan(t, f, `SELECT sms_opted_out_at::text FROM customers WHERE id = $1`, []any{f.customerID}, &still)
	if still != first {
		t.Errorf("second opt-out moved sms_opted_out_at from %s to %s", first, still)
	}

	if err := f.store.OptIn(ctx, phone, nil, SourceInbound, "START"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{false, false}, optedOut()); diff != "" {
		t.Errorf("after OptIn: IsOptedOut (-want +got):\n%s", diff)
	}
	if n := flagged(); n != 0 {
		t.Errorf("customers opted out = %d, want 0", n)
	}
	type event struct {
		Action, Source, Keyword string
		Salon                   bool
	}
	rows, err := f.pool.Query(ctx, `SELECT action, source, coalesce(body_keyword, ''), salon_id IS NOT NULL
		FROM sms_opt_events WHERE phone = $1 ORDER BY id`, phone)
	if err != nil {
		t.Fatal(err)
	}
	var events []event
	for rows.Next() {
		var e event
		if err := rows.Scan(&e.Action, &e.Source, &e.Keyword, &e.Salon); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	want := []event{{"opt_out", "inbound", "STOP", true}, {"opt_out", "error_21610", "", false}, {"opt_in", "inbound", "START", false}}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("sms_opt_events (-want +got):\n%s", diff)
	}
}

func TestIsOptedOutSources(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()

	// The API (or the demo seed) may set the column without an event.
	if _, err := f.pool.Exec(ctx, `UPDATE customers SET sms_opted_out_at = now() WHERE id = $1`, f.customerID); err != nil {
		t.Fatal(err)
	}
	if out, err := f.store.IsOptedOut(ctx, "+15555550101"); !out || err != nil {
		t.Errorf("IsOptedOut(flagged customer) = %v, %v; want true", out, err)
	}

	// A number that is nobody's customer yet: only events know.
	const stranger = "+447700900123"
	if err := f.store.OptOut(ctx, stranger, nil, SourceInbound, "STOP"); err != nil {
		t.Fatal(err)
	}
	if out, err := f.store.IsOptedOut(ctx, stranger); !out || err != nil {
		t.Errorf("IsOptedOut(stranger after STOP) = %v, %v; want true", out, err)
	}
	// A customer added after the STOP is still opted out.
	f.customer(t, f.salonID, stranger)
	if out, _ := f.store.IsOptedOut(ctx, stranger); !out {
		t.Errorf("IsOptedOut(customer added after STOP) = false, want true")
	}
	if err := f.store.OptIn(ctx, stranger, nil, SourceInbound, "UNSTOP"); err != nil {
		t.Fatal(err)
	}
	if out, _ := f.store.IsOptedOut(ctx, stranger); out {
		t.Errorf("IsOptedOut(stranger after UNSTOP) = true, want false")
	}

	if err := f.store.OptOut(ctx, "not a phone", nil, SourceInbound, "STOP"); !errors.Is(err, ErrInvalid) {
		t.Errorf("OptOut(bad number) = %v, want ErrInvalid", err)
	}
}

func mustScan(t *testing.T, f *fixture, sql string, args []any, dest ...any) {
	t.Helper()
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
