-- One credential's rate budget, shared by every process that paces it
-- (crates/runtime/src/pace/shared.rs). Time is Redis's (TIME), in
-- microseconds, so the clocks of the machines do not matter.
--
-- KEYS[1]  the budget: a hash
--            tat      GCRA's theoretical arrival time (µs)
--            rate     learned vendors: requests per second in force
--            probing  learned vendors: "1" until a 429 (then AIMD)
--            lowered, grown, step   learned vendors: AIMD's state
--            held     when the last hold ends (µs): told with every turn, so
--                     that a process learns of a hold another one set and
--                     cancels the turns it already reserved
-- KEYS[2]  the processes seen: a sorted set, member = a random process id,
--          score = when it last took a turn (µs)
--
-- ARGV[1] = "turn":  ARGV[2] burst, ARGV[3] rate (0: learned),
--   ARGV[4] process id, ARGV[5] longest wait accepted (µs),
--   ARGV[6] answers accepted since this process's last turn,
--   ARGV[7] the lowest X-Rate-Limit-Remaining seen since (-1: none)
--   → { wait µs (negative: refused, nothing reserved), now µs,
--       processes seen in the last minute, rate × 1000 (0: probing),
--       hold left µs (0: none) }
-- ARGV[1] = "hold":  ARGV[2] burst, ARGV[3] rate (0: learned),
--   ARGV[4] hold µs from now, ARGV[5] when the refused request was sent
--   (µs, Redis time; 0: not a 429, only hold)  → { now µs }
-- ARGV[1] = "back":  ARGV[2] burst, ARGV[3] rate (0: learned): gives back
--   one turn reserved and not used  → { now µs }
-- ARGV[1] = "peek":  ARGV[2] burst, ARGV[3] rate (0: learned): changes
--   nothing  → { now µs, hold left µs (0: none) }
--
-- Constants mirror pace/adaptive.rs (probing and AIMD).
local PROBE_BURST = 16
local PROBE_GAIN = 2
local PROBE_MAX = 100000
local BETA = 0.7
local STEP_SHARE = 0.05
local MIN_RATE = 0.05
local QUIET = 60000000
local SEEN = 60000000

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local op = ARGV[1]
local burst = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'tat', 'rate', 'probing', 'lowered', 'grown', 'step',
  'held')
local tat = tonumber(h[1]) or now
local held = tonumber(h[7]) or 0
local held_left = math.max(0, math.floor(held - now))

-- A learned vendor's rate and burst now: probing until a 429, then AIMD's
-- additive increase, probing again after a quiet minute.
local learned = rate <= 0
local probing = h[3] ~= '0'
local lowered = tonumber(h[4]) or 0
local step = tonumber(h[6]) or 0
if learned then
  rate = tonumber(h[2]) or PROBE_BURST
  if not probing and now - lowered >= QUIET then
    probing = true
  end
  if probing then
    burst = PROBE_BURST
  else
    local grown = tonumber(h[5]) or now
    rate = rate + step * math.max(0, now - grown) / 1000000
    burst = 1
  end
end

-- tostring keeps 14 digits: too few for microseconds since 1970.
local function num(x)
  return string.format('%.6f', x)
end

local function save()
  if learned then
    redis.call('HSET', KEYS[1], 'tat', num(tat), 'rate', num(rate),
      'probing', probing and '1' or '0', 'lowered', num(lowered),
      'grown', num(now), 'step', num(step))
  else
    redis.call('HSET', KEYS[1], 'tat', num(tat))
  end
  if held > now then
    redis.call('HSET', KEYS[1], 'held', num(held))
  end
  -- Forgotten an hour after the last use.
  redis.call('PEXPIRE', KEYS[1], 3600000)
end

if op == 'turn' then
  if learned and probing then
    rate = math.min(rate + PROBE_GAIN * tonumber(ARGV[6]), PROBE_MAX)
  end
  local interval = 1000000 / rate
  local remaining = tonumber(ARGV[7])
  if not learned and remaining >= 0 and remaining < burst then
    -- Never more tokens than the vendor says remain.
    tat = math.max(tat, now + (burst - remaining) * interval)
  end
  local turn = math.max(now, tat - (burst - 1) * interval)
  local wait = turn - now
  redis.call('ZADD', KEYS[2], now, ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - SEEN)
  redis.call('PEXPIRE', KEYS[2], 3600000)
  local processes = redis.call('ZCARD', KEYS[2])
  local shown = 0
  if learned and not probing then
    shown = math.floor(rate * 1000)
  end
  if wait > tonumber(ARGV[5]) then
    save()
    return { -math.floor(wait) - 1, now, processes, shown, held_left }
  end
  tat = math.max(tat, now) + interval
  save()
  return { math.floor(wait), now, processes, shown, held_left }
elseif op == 'hold' then
  local sent = tonumber(ARGV[5])
  if learned and sent > 0 and (probing or sent > lowered) then
    -- One lowering per storm: 429s to requests sent before it are the
    -- same storm.
    rate = math.max(BETA * rate, MIN_RATE)
    probing = false
    lowered = now
    step = rate * STEP_SHARE
    burst = 1
  end
  local interval = 1000000 / rate
  local hold = now + tonumber(ARGV[4])
  held = math.max(held, hold)
  -- Nothing until the hold ends, then one request, then the rate.
  tat = math.max(tat, hold + (burst - 1) * interval)
  save()
  return { now }
elseif op == 'back' then
  local interval = 1000000 / rate
  tat = math.max(now, tat - interval)
  save()
  return { now }
elseif op == 'peek' then
  return { now, held_left }
end
return redis.error_reply('unknown operation')
