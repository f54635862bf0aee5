package ingest

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// The trimming rule keeps Redis memory bounded without ever dropping an
// entry some consumer group has not acknowledged (pending: delivered, not
// yet acknowledged; or not yet delivered at all):
//
//   - While the stream holds at most MaxLen entries, nothing is trimmed:
//     recent acknowledged entries stay readable (XRANGE) for debugging.
//   - Above MaxLen, when no group has a pending entry and every group's lag
//     (entries not yet delivered to it) is known and at most MaxLen,
//     MAXLEN ~ MaxLen is safe: the newest MaxLen entries hold every entry
//     not yet delivered. The stream is cut to about MaxLen.
//   - Otherwise the stream is cut at the floor, MINID ~ floor, where the
//     floor is the oldest entry some group still needs: over all groups,
//     the oldest pending entry, or the last delivered one when nothing is
//     pending (everything after it is undelivered). Only entries every
//     group acknowledged are below it. When the unacknowledged backlog
//     alone is longer than MaxLen the stream stays longer than MaxLen, and
//     the result says so.
//   - A stream without any group is never trimmed: a group created later
//     reads from ID 0.
//
// The decision and the XTRIM run in one Lua script, atomically: between a
// check and a separate XTRIM, producers could add entries and push
// undelivered ones past a MAXLEN cut. Approximate trimming (~) removes whole
// radix-tree nodes only, so it removes at most what the exact form would;
// LIMIT 0 lifts the per-call cap so one call keeps up with any rate.
var trimScript = redis.NewScript(`
local function idless(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am < #bm end
  if am ~= bm then return am < bm end
  if #as ~= #bs then return #as < #bs end
  return as < bs
end
local maxlen = tonumber(ARGV[1])
local len = redis.call('XLEN', KEYS[1])
if len <= maxlen then return {0, len, '', 'none'} end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return {0, len, '', 'none'} end
local floor = nil
local clear = true
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  local need = info['last-delivered-id']
  if info['pending'] > 0 then
    clear = false
    need = redis.call('XPENDING', KEYS[1], info['name'])[2]
  end
  if not info['lag'] or info['lag'] > maxlen then clear = false end
  if floor == nil or idless(need, floor) then floor = need end
end
local removed
if clear then
  removed = redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', maxlen, 'LIMIT', 0)
  return {removed, len, floor, 'maxlen'}
end
removed = redis.call('XTRIM', KEYS[1], 'MINID', '~', floor, 'LIMIT', 0)
return {removed, len, floor, 'minid'}
`)

// TrimResult reports one application of the trimming rule.
type TrimResult struct {
	// Removed is how many entries were deleted.
	Removed int64
	// Before is the stream's length before trimming.
	Before int64
	// Floor is the oldest entry some group still needs, when computed.
	Floor string
	// Mode is "none", "maxlen" or "minid".
	Mode string
}

// Trim applies the trimming rule above once; the bridge calls it every
// TrimInterval. It logs a warning when the unacknowledged backlog alone
// exceeds MaxLen.
func (b *Bridge) Trim(ctx context.Context) (TrimResult, error) {
	raw, err := trimScript.Run(ctx, b.rdb, []string{Stream}, b.cfg.MaxLen).Slice()
	if err != nil {
		return TrimResult{}, fmt.Errorf("trim %s: %w", Stream, err)
	}
	if len(raw) != 4 {
		return TrimResult{}, fmt.Errorf("trim %s: unexpected reply %v", Stream, raw)
	}
	res := TrimResult{}
	res.Removed, _ = raw[0].(int64)
	res.Before, _ = raw[1].(int64)
	res.Floor, _ = raw[2].(string)
	res.Mode, _ = raw[3].(string)
	if res.Mode == "minid" && res.Before-res.Removed > b.cfg.MaxLen {
		b.cfg.Logger.Warn("ingest: unacknowledged backlog exceeds the stream's bound; kept whole",
			"length", res.Before-res.Removed, "max_len", b.cfg.MaxLen, "oldest_needed", res.Floor)
	}
	return res, nil
}
