package tasks

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/queues"
)

// wire is the deployed table of kinds and queues. A deployed kind must never
// be renamed or moved, so this list is written out rather than derived.
var wire = []struct{ kind, queue string }{
	{"email:send", "emails"},
	{"sms:send", "sms"},
	{"sms:dispatch_confirmations", "sms"},
	{"sms:dispatch_reviews", "sms"},
	{"sms:dispatch_campaigns", "sms"},
	{"upload:process", "uploads"},
	{"report:generate", "reports"},
	{"salon:reset_queue", "sync"},
	{"sync:daily_stats", "sync"},
	{"sync:api_call", "sync"},
}

func TestCatalogueIsTheWireContract(t *testing.T) {
	t.Parallel()
	var want, got [][2]string
	for _, w := range wire {
		want = append(want, [2]string{w.kind, w.queue})
	}
	for _, k := range Kinds() {
		got = append(got, [2]string{k.Name, k.Queue})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Kinds() (-want +got):\n%s", diff)
	}
	var names []string
	for _, w := range wire {
		names = append(names, w.kind)
	}
	if diff := cmp.Diff(names, Names()); diff != "" {
		t.Errorf("Names() (-want +got):\n%s", diff)
	}
}

func TestKindsAreComplete(t *testing.T) {
	t.Parallel()
	for _, k := range Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			if _, ok := queues.Lookup(k.Queue); !ok {
				t.Errorf("queue %q is not in the queue catalogue", k.Queue)
			}
			if k.Doc == "" {
				t.Error("Doc is empty")
			}
			p := k.New()
			if v := reflect.ValueOf(p); v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
				t.Fatalf("New() = %T, want a non-nil pointer to a struct", p)
			}
			if p == k.New() && reflect.TypeOf(p).Elem().Size() > 0 {
				t.Error("New() returned the same payload twice")
			}
			got, ok := Lookup(k.Name)
			if !ok || got.Name != k.Name || got.Queue != k.Queue {
				t.Errorf("Lookup(%q) = %v, %t", k.Name, got.Name, ok)
			}
		})
	}
	if _, ok := Lookup("sms:sned"); ok {
		t.Error(`Lookup("sms:sned") found a kind`)
	}
}

func TestKindsReturnsACopy(t *testing.T) {
	t.Parallel()
	ks := Kinds()
	ks[0].Queue = "changed"
	if k, _ := Lookup(ks[0].Name); k.Queue == "changed" {
		t.Error("changing the result of Kinds changed the catalogue")
	}
}
