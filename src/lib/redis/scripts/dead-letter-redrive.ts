/** @module Lua: puts dead letters back on their stream, read and re-added inside Redis. */

export const DEAD_LETTER_REDRIVE = `--[[
  KEYS[1]  dead-letter stream
  KEYS[2]  stream to redrive into
  ARGV[1]  first dead-letter id to look at ("-" = the oldest); unused with ARGV[5..]
  ARGV[2]  most dead letters to look at; unused with ARGV[5..]
  ARGV[3]  "1" = dry run: judge each entry, change nothing
  ARGV[4]  most pairs a dead letter copies verbatim (the move's limit)
  ARGV[5..] optional: the dead-letter ids to look at, in this order, instead of a range;
           an id not in the dead-letter stream is reported skipped "not_found"

  Dead letters are read one at a time (XRANGE COUNT 1, or XRANGE id id), so their bytes
  never leave Redis and only one is held at once. Each is added back ("XADD stream * f v
  ...", the original pairs in order) and deleted from the dead-letter stream in the same
  step, so racing redrives never duplicate one. The re-added entry ends with the pair
  original_id -> the id the message first had, unless its pairs already end with one
  (redriven before): the first identity wins. Entries that cannot go back are left in
  place and reported: from another stream, wider than one XADD takes (ARGV[4] + 1 pairs),
  or not a dead letter. Each entry runs under pcall: Lua does not roll back, so a
  failure must not hide what the entries before it did.
  Returns {next, outcomes}: next = the first id not looked at ("" = none left; always ""
  with ids); per entry {dlqId, "moved", newId ("" when dry), originalId} or
  {dlqId, "skipped", reason, originalId, error}.
]]
local dlq, stream = KEYS[1], KEYS[2]
local count, dry, maxPairs = tonumber(ARGV[2]), ARGV[3] == "1", tonumber(ARGV[4])
local HEADER = { "original_id", "original_stream", "group", "last_consumer", "deliveries",
  "failures", "reason", "error", "dead_at", "format" }
local LEGACY = { "original_id", "original_stream", "group", "last_consumer", "deliveries",
  "reason", "error", "dead_at", "payload" }

local function startsWith(flat, names)
  for i, name in ipairs(names) do
    if flat[2 * i - 1] ~= name then return false end
  end
  return true
end

local function decode(json)
  local ok, value = pcall(cjson.decode, json)
  if ok and type(value) == "table" then return value end
  return nil
end

-- A JSON array of strings, even in length, or nil.
local function flatStrings(list)
  if list == nil then return nil end
  local n = 0
  for _, v in pairs(list) do
    if type(v) ~= "string" then return nil end
    n = n + 1
  end
  if n ~= #list or n % 2 ~= 0 then return nil end
  return list
end

-- The older layout kept the fields as a JSON object, without order: names go back sorted.
local function legacyPairs(object)
  if object == nil then return nil end
  local names = {}
  for k, v in pairs(object) do
    if type(k) ~= "string" or type(v) ~= "string" then return nil end
    names[#names + 1] = k
  end
  table.sort(names)
  local flat = {}
  for _, k in ipairs(names) do
    flat[#flat + 1] = k
    flat[#flat + 1] = object[k]
  end
  return flat
end

local function isDeadLetter(flat)
  return (#flat >= 2 * #HEADER and startsWith(flat, HEADER))
    or (#flat == 2 * #LEGACY and startsWith(flat, LEGACY))
end

-- The original flat pairs of a dead letter, or nil when they cannot be read.
local function originalPairs(flat)
  if not startsWith(flat, HEADER) then
    return legacyPairs(decode(flat[#flat]))
  end
  local format, after = flat[2 * #HEADER], 2 * #HEADER
  if format == "pairs" then
    local original = {}
    for i = after + 1, #flat do original[#original + 1] = flat[i] end
    return original
  end
  if format == "json" and #flat == after + 2 and flat[after + 1] == "pairs" then
    return flatStrings(decode(flat[#flat]))
  end
  return nil
end

local function redrive(id, flat, originalId)
  if not isDeadLetter(flat) then return { id, "skipped", "malformed", originalId, "" } end
  if flat[4] ~= stream then return { id, "skipped", "other_stream", originalId, "" } end
  local original = originalPairs(flat)
  if original == nil then return { id, "skipped", "malformed", originalId, "" } end
  if original[#original - 1] ~= "original_id" then
    original[#original + 1] = "original_id"
    original[#original + 1] = originalId
  end
  if #original > 2 * (maxPairs + 1) then
    return { id, "skipped", "too_many_fields", originalId, "" }
  end
  if dry then return { id, "moved", "", originalId } end
  local newId = redis.call("XADD", stream, "*", unpack(original))
  redis.call("XDEL", dlq, id)
  return { id, "moved", newId, originalId }
end

-- One dead letter's outcome; a Redis error in it is reported, not raised.
local function settle(id, flat)
  local originalId = flat[1] == "original_id" and flat[2] or ""
  local ok, outcome = pcall(redrive, id, flat, originalId)
  if ok then return outcome end
  local message = type(outcome) == "table" and outcome.err or tostring(outcome)
  return { id, "skipped", "failed", originalId, message }
end

local out = {}
if #ARGV > 4 then
  for i = 5, #ARGV do
    local found = redis.call("XRANGE", dlq, ARGV[i], ARGV[i])
    if #found == 0 then
      out[#out + 1] = { ARGV[i], "skipped", "not_found", "", "" }
    else
      out[#out + 1] = settle(found[1][1], found[1][2])
    end
  end
  return { "", out }
end

local cursor = ARGV[1]
for _ = 1, count do
  local found = redis.call("XRANGE", dlq, cursor, "+", "COUNT", 1)
  if #found == 0 then return { "", out } end
  out[#out + 1] = settle(found[1][1], found[1][2])
  cursor = "(" .. found[1][1]
end
local following = redis.call("XRANGE", dlq, cursor, "+", "COUNT", 1)
return { following[1] and following[1][1] or "", out }
`;
