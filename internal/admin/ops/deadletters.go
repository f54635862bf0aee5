package ops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/redact"
)

// The ingest streams and the fields of their entries: the contract with
// producers (see the README's ingest section).
const (
	IngestStream = "jobs:ingest"
	DeadStream   = "jobs:ingest:dead"

	fieldKind     = "kind"
	fieldPayload  = "payload"
	fieldKey      = "idempotency_key"
	fieldQueue    = "queue"
	fieldError    = "error"
	fieldFailedAt = "failed_at"
)

// replayKeyPrefix starts the idempotency key a replay gives an entry that
// had none, from the dead entry's ID, so the bridge makes one task of it.
const replayKeyPrefix = "dead-letter-replay:"

// streamID is what a Redis stream entry ID looks like.
var streamID = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

// deadLetter is one row of the dead-letters page.
type deadLetter struct {
	ID               string
	At               time.Time
	Kind, Queue, Key string
	Payload, Reason  string
	FailedAt         string
}

type deadPage struct {
	Rows  []deadLetter
	Total int64
	Limit int
}

func (h *Handler) deadLetters(w http.ResponseWriter, r *http.Request, u User) {
	ctx := r.Context()
	msgs, err := h.cfg.Redis.XRevRangeN(ctx, DeadStream, "+", "-", rowLimit).Result()
	if err != nil {
		h.fail(w, "read dead letters", err)
		return
	}
	total, err := h.cfg.Redis.XLen(ctx, DeadStream).Result()
	if err != nil {
		h.fail(w, "read dead letters", err)
		return
	}
	page := deadPage{Total: total, Limit: rowLimit}
	for _, m := range msgs {
		page.Rows = append(page.Rows, showDead(m))
	}
	h.render(w, r, u, "deadletters", "Ingest dead letters", page)
}

// showDead renders one entry: the payload through its kind's field
// classes, the reason with the payload's values hidden where it quotes
// them, every other value masked as text.
func showDead(m redis.XMessage) deadLetter {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	kind, payload := str(fieldKind), str(fieldPayload)
	d := deadLetter{
		ID:       m.ID,
		Kind:     redact.Text(kind),
		Queue:    redact.Text(str(fieldQueue)),
		Key:      redact.Text(str(fieldKey)),
		Payload:  redact.Payload(kind, []byte(payload)),
		Reason:   redact.Text(redact.Quoted(kind, []byte(payload))(str(fieldError))),
		FailedAt: str(fieldFailedAt),
	}
	if ms, err := strconv.ParseInt(strings.SplitN(m.ID, "-", 2)[0], 10, 64); err == nil {
		d.At = time.UnixMilli(ms)
	}
	return d
}

// replayScript moves one dead entry back to the ingest stream, atomically:
// its fields but the dead-letter ones (error, failed_at), with its
// idempotency key or one made from the dead entry's ID, then deletes it
// from the dead stream. A second replay of the same entry finds nothing,
// and the key makes the bridge enqueue one task even if the entry came
// back twice. Returns the new entry's ID, or false when the entry is gone.
var replayScript = redis.NewScript(`
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return false end
local fields = found[1][2]
local out, keyed = {}, false
for i = 1, #fields, 2 do
	local k = fields[i]
	if k ~= ARGV[3] and k ~= ARGV[4] then
		if k == ARGV[5] then keyed = true end
		table.insert(out, k)
		table.insert(out, fields[i + 1])
	end
end
if not keyed then
	table.insert(out, ARGV[5])
	table.insert(out, ARGV[2] .. ARGV[1])
end
local id = redis.call('XADD', KEYS[2], '*', unpack(out))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
`)

// deadLetterAction replays or deletes one dead entry.
func (h *Handler) deadLetterAction(ctx context.Context, form url.Values, u User) (string, error) {
	id := form.Get("id")
	if !streamID.MatchString(id) {
		return "", fmt.Errorf("%w: %q is not a stream entry ID", errBadRequest, id)
	}
	switch form.Get("action") {
	case "replay":
		newID, err := replayScript.Run(ctx, h.cfg.Redis, []string{DeadStream, IngestStream},
			id, replayKeyPrefix, fieldError, fieldFailedAt, fieldKey).Text()
		if errors.Is(err, redis.Nil) {
			return "", fmt.Errorf("%w: dead letter %s is gone (replayed or deleted already; reload the page)", errConflict, id)
		}
		if err != nil {
			return "", fmt.Errorf("replay dead letter %s: %w", id, err)
		}
		return fmt.Sprintf("Dead letter %s replayed as ingest entry %s.", id, newID), nil
	case "delete":
		n, err := h.cfg.Redis.XDel(ctx, DeadStream, id).Result()
		if err != nil {
			return "", fmt.Errorf("delete dead letter %s: %w", id, err)
		}
		if n == 0 {
			return "", fmt.Errorf("%w: dead letter %s is gone already (reload the page)", errConflict, id)
		}
		return fmt.Sprintf("Dead letter %s deleted.", id), nil
	}
	return "", fmt.Errorf("%w: action %q", errBadRequest, form.Get("action"))
}
