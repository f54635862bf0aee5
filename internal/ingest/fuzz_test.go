package ingest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/salonworks/jobs/internal/ingest"
	"github.com/salonworks/jobs/queues"
	"github.com/salonworks/jobs/tasks"
)

// FuzzDecode feeds the decoder arbitrary entries: each optional field is
// present when its bit of present is set, and extra names one more field.
// Its seed corpus is testdata/fuzz/FuzzDecode; run it longer with
// go test -run '^$' -fuzz FuzzDecode ./internal/ingest/.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, present uint8, kind, payload, key, processAt, queue, extra string) {
		fields := map[string]any{}
		for i, kv := range [][2]string{
			{ingest.FieldKind, kind}, {ingest.FieldPayload, payload}, {ingest.FieldIdempotencyKey, key},
			{ingest.FieldProcessAt, processAt}, {ingest.FieldQueue, queue}, {extra, "x"},
		} {
			if present&(1<<i) != 0 {
				fields[kv[0]] = kv[1]
			}
		}
		e, err := ingest.Decode(fields)
		if err != nil {
			var rej *ingest.RejectError
			if !errors.As(err, &rej) || len(rej.Problems) == 0 {
				t.Fatalf("error %v (%T) is not a RejectError with problems", err, err)
			}
			for _, p := range rej.Problems {
				if p == nil || strings.TrimSpace(p.Error()) == "" {
					t.Fatalf("a problem without a reason in %q", err)
				}
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("reason spans lines: %q", err)
			}
			return
		}
		if e.Task == nil || e.Task.Type() != e.Kind {
			t.Fatalf("accepted entry without its task: %+v", e)
		}
		if _, ok := tasks.Lookup(e.Kind); !ok {
			t.Fatalf("accepted unknown kind %q", e.Kind)
		}
		if _, ok := queues.Lookup(e.Queue); !ok {
			t.Fatalf("accepted unknown queue %q", e.Queue)
		}
		if len(e.Task.Payload()) > tasks.MaxPayloadBytes {
			t.Fatalf("accepted a payload of %d bytes", len(e.Task.Payload()))
		}
		if _, err := tasks.Decode(e.Kind, e.Task.Payload()); err != nil {
			t.Fatalf("the re-encoded payload does not decode again: %v", err)
		}
	})
}
