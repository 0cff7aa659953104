/**
 * Redis scripts of the account rate limiter. Time comes from Redis (`TIME`),
 * so every worker process on every machine shares one clock. Times are in
 * microseconds: the spacing of a 250/s limit is 4,080 µs and must not round.
 *
 * Keys per account: a hash with `tat` (the next free slot of the pacing
 * schedule) and `blocked` (when a provider's 429 pause ends), and a sorted set
 * of the requests actually sent in the last window (score: send time).
 */

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked') or '0')
`;

/**
 * The check against the send log: fewer than `max` requests sent in the
 * window, and if so this send recorded at now (the caller moves it later, by
 * the time it took to leave, with SENT_LATE_SCRIPT) and, room allowing, up to
 * `count - 1` more as a lease (members `member.2` ... `member.<count>`),
 * recorded at now + `leaseUs`, the latest they may be taken. Returns the µs
 * until the oldest entry leaves the window (0 when recorded) and how many
 * were recorded.
 */
const SEND_CHECK = `
local function sendCheck(log, window, max, member, count, leaseUs)
  redis.call('ZREMRANGEBYSCORE', log, '-inf', string.format('%.0f', now - window))
  local held = redis.call('ZCARD', log)
  if held >= max then
    local oldest = tonumber(redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')[2])
    return oldest + window - now + 1, 0
  end
  local granted = math.min(count, max - held)
  local entries = {string.format('%.0f', now), member}
  local leased = string.format('%.0f', now + leaseUs)
  for i = 2, granted do
    entries[#entries + 1] = leased
    entries[#entries + 1] = member .. '.' .. i
  end
  redis.call('ZADD', log, unpack(entries))
  redis.call('PEXPIRE', log, math.ceil(window / 1000) + 60000)
  return 0, granted
end
`;

/**
 * Reserves the next slot of the evenly spaced schedule; when that slot is now
 * (an account below its limit), also runs the send check, so one round trip
 * does it all. Then it may grant a lease of up to ARGV[6] sends at once
 * (limited by the room in the window), taking as many slots of the schedule.
 * KEYS[1] hash, KEYS[2] send log; ARGV[1] spacing µs, ARGV[2] longest wait µs a caller may hold a slot for,
 * ARGV[3] log window µs, ARGV[4] max, ARGV[5] member, ARGV[6] most sends to grant, ARGV[7] µs a lease lasts,
 * ARGV[8...] leased sends that lapsed, removed from the log first.
 * Returns {state, µs, granted}: 0 = slot reserved µs away (then SEND_SCRIPT); 1 = blocked by a 429 for µs;
 * 2 = the next slot is further than the longest wait (nothing reserved), come back in µs;
 * 3 = send now, `granted` sends recorded; 4 = slot taken but the window is full, SEND_SCRIPT again in µs.
 */
export const RESERVE_SCRIPT = `${NOW}${SEND_CHECK}
if #ARGV > 7 then redis.call('ZREM', KEYS[2], unpack(ARGV, 8)) end
if blocked > now then return {1, blocked - now, 0} end
local spacing = tonumber(ARGV[1])
local slot = math.max(tonumber(redis.call('HGET', KEYS[1], 'tat') or '0'), now)
if slot - now > tonumber(ARGV[2]) then return {2, slot - now, 0} end
local function takeSlots(count)
  redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', slot + spacing * count))
  redis.call('PEXPIRE', KEYS[1], math.ceil((slot + spacing * count - now) / 1000) + 60000)
end
if slot > now then
  takeSlots(1)
  return {0, slot - now, 0}
end
local wait, granted = sendCheck(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]))
takeSlots(math.max(granted, 1))
if wait == 0 then return {3, 0, granted} end
return {4, wait, 0}
`;

/**
 * The last check before a request leaves, after sleeping until its slot: no
 * 429 pause, and the send check. KEYS[1] hash, KEYS[2] send log; ARGV[1] window µs, ARGV[2] max, ARGV[3] member.
 * Returns {state, µs}: 0 = send now (recorded); 1 = blocked for µs; 2 = window full, retry in µs.
 */
export const SEND_SCRIPT = `${NOW}${SEND_CHECK}
if blocked > now then return {1, blocked - now} end
local wait = sendCheck(KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], 1, 0)
if wait == 0 then return {0, 0} end
return {2, wait}
`;

/**
 * A request left ARGV[2] µs after its check: move its entry that much later.
 * Durations, not clock readings, cross between machines, so no clock needs to
 * agree with Redis. KEYS[1] send log; ARGV[1] member, ARGV[2] delay µs.
 */
export const SENT_LATE_SCRIPT = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score then redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', tonumber(score) + tonumber(ARGV[2])), ARGV[1]) end
return 0
`;

/** KEYS[1] hash. Returns µs the account stays blocked by a 429 (0 when not blocked). */
export const BLOCKED_SCRIPT = `${NOW}
if blocked > now then return blocked - now end
return 0
`;

/**
 * Blocks the account for ARGV[1] µs after a 429 and moves the next free slot
 * past the pause (an earlier, longer block is kept). KEYS[1] hash.
 * Returns the µs the block lasts.
 */
export const BLOCK_SCRIPT = `${NOW}
local untilTime = now + tonumber(ARGV[1])
if untilTime > blocked then
  blocked = untilTime
  redis.call('HSET', KEYS[1], 'blocked', string.format('%.0f', blocked))
end
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat') or '0')
if tat < blocked then redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', blocked)) end
redis.call('PEXPIRE', KEYS[1], math.ceil((blocked - now) / 1000) + 60000)
return blocked - now
`;

/**
 * How much of the limit is in use now, for people (the console): the sends
 * in the log within the last ARGV[1] µs (the limit's own window, without the
 * margin; leased sends count from when they were granted), and the µs the
 * account stays blocked by a 429. Reads only. KEYS[1] hash, KEYS[2] send log.
 * Returns {sends, blocked µs}.
 */
export const USE_SCRIPT = `${NOW}
local sent = redis.call('ZCOUNT', KEYS[2], string.format('(%.0f', now - tonumber(ARGV[1])), '+inf')
return {sent, math.max(0, blocked - now)}
`;
