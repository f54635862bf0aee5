package ingest

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/redact"
)

// writeDead copies every dead item to the dead-letter stream in one
// pipeline; an item whose copy failed becomes failed, so it is not
// acknowledged and comes back later.
func (b *Bridge) writeDead(ctx context.Context, items []item) {
	var idx []int
	for i := range items {
		if items[i].outcome == OutcomeDead {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	failedAt := b.cfg.Clock.Now().UTC().Format(time.RFC3339Nano)
	cmds := make([]*redis.StringCmd, len(idx))
	_, _ = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, i := range idx {
			cmds[j] = p.XAdd(ctx, &redis.XAddArgs{
				Stream: DeadStream,
				MaxLen: b.cfg.DeadMaxLen,
				Approx: true,
				Values: deadValues(items[i].msg.Values, items[i].err.Error(), failedAt),
			})
		}
		return nil
	})
	written, first := 0, -1
	for j, i := range idx {
		it := &items[i]
		if err := cmds[j].Err(); err != nil {
			it.outcome, it.err = OutcomeFailed, fmt.Errorf("write dead entry: %w (reason: %v)", err, it.err)
			continue
		}
		if written++; first < 0 {
			first = j
		}
	}
	if written > 0 {
		// One line per batch, so a producer gone wrong cannot flood the log;
		// every reason is in the dead stream. Reasons may quote payload
		// values, so emails and phone numbers are masked.
		it := items[idx[first]]
		b.cfg.Logger.Warn("ingest: entries dead-lettered", "count", written, "stream", DeadStream,
			"first_entry_id", it.msg.ID, "first_dead_id", cmds[first].Val(),
			"first_kind", redact.Text(fieldString(it.msg.Values[FieldKind])), "first_reason", maskReason(it.err.Error()))
	}
}

var (
	// bareDigits finds runs of digits long enough to be a phone number
	// written without "+", which redact.Text leaves alone.
	bareDigits = regexp.MustCompile(`\d{8,}`)
	// atWord finds anything around an "@" that redact.Text did not take
	// for an address: a malformed one is still a customer's.
	atWord = regexp.MustCompile(`[^\s"]*@[^\s"]*`)
)

// maskReason masks a dead entry's reason for the log. A reason quotes the
// value it refused, and a refused recipient ("15551234567",
// "jane@@example.com") is exactly what the usual masking does not
// recognise, so bare digit runs and anything holding an "@" are masked
// too. The dead stream keeps the reason whole.
func maskReason(s string) string {
	s = redact.Text(s)
	s = bareDigits.ReplaceAllStringFunc(s, redact.Phone)
	return atWord.ReplaceAllStringFunc(s, func(w string) string {
		if strings.Contains(w, "***@") {
			return w // already masked by redact.Text
		}
		return redact.Email(w)
	})
}

// deadValues lists the original fields in a stable order (the known fields
// first), then error and failed_at.
func deadValues(fields map[string]any, reason, failedAt string) []any {
	out := make([]any, 0, 2*len(fields)+4)
	for _, k := range knownFields {
		if v, ok := fields[k]; ok {
			out = append(out, k, fieldString(v))
		}
	}
	for _, k := range sortedKeys(fields) {
		if !slices.Contains(knownFields, k) {
			out = append(out, k, fieldString(fields[k]))
		}
	}
	return append(out, FieldError, reason, FieldFailedAt, failedAt)
}

func fieldString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}
