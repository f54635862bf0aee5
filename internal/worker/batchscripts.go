package worker

import "github.com/redis/go-redis/v9"

// The batch fetcher's scripts. Each changes asynq's keys of one queue the
// way asynq's own scripts do for one task (asynq v0.26's internal/rdb):
// the task's hash ("msg" and "state"), the active list, the lease set, the
// completed, retry and archived sets and the processed and failed
// counters. Every key they touch is in the queue's hash slot.

// cycleScript marks ARGV[3] tasks completed, then takes up to ARGV[4]
// tasks from the queue unless it is paused: one call finishes the tasks
// that ended and fills their slots again.
//
// A task kept for a while (its completed-set score is the end of its
// retention) stores its message with the completion time; one not kept is
// deleted. A task no longer active (its lease ran out and the recoverer
// took it) is left alone. The tasks completed count as processed, for the
// day and in total. A task taken moves from pending to active, leased
// until ARGV[5]. Returns the number completed, then id, msg, id, msg, ...
// of the tasks taken.
//
// A call that takes tasks records them under the fetcher's key, with the
// call's number (ARGV[6]): the same call made again, because its answer
// was lost on the way back, answers with the same tasks (those still
// leased) instead of taking more, which would leave the first ones active
// with nobody running them until their lease ran out. Completing is safe
// to repeat as it is.
//
// KEYS: active, lease, completed, processed:<day>, processed, pending,
// paused, the fetcher's record
// ARGV: counters' expiry (unix s), task key prefix, n completed, n to
// take, lease end (unix s), the call's number, then per task completed:
// ID, retention end (unix s; 0: not kept), message, unique key ("" none)
var cycleScript = redis.NewScript(`
local last = redis.call("GET", KEYS[8])
if last then
	local rec = cjson.decode(last)
	if rec[1] == ARGV[6] then
		local out = {rec[2]}
		for i = 3, #rec do
			local id = rec[i]
			local msg = redis.call("HGET", ARGV[2] .. id, "msg")
			if msg and redis.call("ZSCORE", KEYS[2], id) then
				table.insert(out, id)
				table.insert(out, msg)
			end
		end
		return out
	end
end
local done = 0
for i = 1, tonumber(ARGV[3]) do
	local at = 4 * i + 3
	local id = ARGV[at]
	if redis.call("LREM", KEYS[1], 0, id) > 0 then
		redis.call("ZREM", KEYS[2], id)
		local key = ARGV[2] .. id
		if tonumber(ARGV[at + 1]) > 0 then
			redis.call("ZADD", KEYS[3], ARGV[at + 1], id)
			redis.call("HSET", key, "msg", ARGV[at + 2], "state", "completed")
		else
			redis.call("DEL", key)
		end
		local unique = ARGV[at + 3]
		if unique ~= "" and redis.call("GET", unique) == id then
			redis.call("DEL", unique)
		end
		done = done + 1
	end
end
if done > 0 then
	if redis.call("INCRBY", KEYS[4], done) == done then
		redis.call("EXPIREAT", KEYS[4], ARGV[1])
	end
	redis.call("INCRBY", KEYS[5], done)
end
local out = {done}
if tonumber(ARGV[4]) == 0 or redis.call("EXISTS", KEYS[7]) == 1 then
	return out
end
local rec = {ARGV[6], done}
for _ = 1, tonumber(ARGV[4]) do
	local id = redis.call("RPOPLPUSH", KEYS[6], KEYS[1])
	if not id then
		break
	end
	local key = ARGV[2] .. id
	local msg = redis.call("HGET", key, "msg")
	if msg then
		redis.call("HSET", key, "state", "active")
		redis.call("HDEL", key, "pending_since")
		redis.call("ZADD", KEYS[2], ARGV[5], id)
		table.insert(out, id)
		table.insert(out, msg)
		table.insert(rec, id)
	else
		-- An ID without a task (deleted under it): nothing to run.
		redis.call("LREM", KEYS[1], 1, id)
	end
end
redis.call("SET", KEYS[8], cjson.encode(rec), "EX", 300)
return out`)

// failScript moves a failed task from active to the retry set (scored by
// when it is retried) or to the archive (scored by now, then trimmed to
// asynq's bounds: 90 days, 10,000 tasks), with its message updated. A
// failure (ARGV[5] = 1) counts as processed and failed. Returns 0 when the
// task is no longer active.
//
// KEYS: task, active, lease, retry or archived, processed:<day>,
// failed:<day>, processed, failed
// ARGV: ID, message, score, state ("retry" or "archived"), failure (1/0),
// counters' expiry, archive cutoff (unix s), archive size, task key prefix
var failScript = redis.NewScript(`
if redis.call("LREM", KEYS[2], 0, ARGV[1]) == 0 then
	return 0
end
redis.call("ZREM", KEYS[3], ARGV[1])
redis.call("ZADD", KEYS[4], ARGV[3], ARGV[1])
redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", ARGV[4])
if ARGV[4] == "archived" then
	local drop = redis.call("ZRANGE", KEYS[4], "-inf", ARGV[7], "BYSCORE")
	local over = redis.call("ZCARD", KEYS[4]) - #drop - tonumber(ARGV[8])
	if over > 0 then
		for _, id in ipairs(redis.call("ZRANGE", KEYS[4], #drop, #drop + over - 1)) do
			table.insert(drop, id)
		end
	end
	for _, id in ipairs(drop) do
		redis.call("DEL", ARGV[9] .. id)
		redis.call("ZREM", KEYS[4], id)
	end
end
if ARGV[5] == "1" then
	for k = 5, 6 do
		if redis.call("INCR", KEYS[k]) == 1 then
			redis.call("EXPIREAT", KEYS[k], ARGV[6])
		end
	end
	redis.call("INCR", KEYS[7])
	redis.call("INCR", KEYS[8])
end
return 1`)

// requeueScript returns tasks still running at shutdown to the front of
// their queue (the end it is taken from), unchanged.
//
// KEYS: active, lease, pending
// ARGV: task key prefix, then the tasks' IDs
var requeueScript = redis.NewScript(`
for i = 2, #ARGV do
	local id = ARGV[i]
	if redis.call("LREM", KEYS[1], 0, id) > 0 then
		redis.call("ZREM", KEYS[2], id)
		redis.call("RPUSH", KEYS[3], id)
		redis.call("HSET", ARGV[1] .. id, "state", "pending")
	end
end
return 0`)
