/** @module Lua: adds a batch of messages to a stream, each idempotency key adding its message once. */

export const PUBLISH_ONCE = `--[[
  KEYS[1]   stream
  KEYS[2..] the idempotency key (streamKeys().publishKey) of each message that has one, in
            the order of the messages
  ARGV[1]   seconds an idempotency key is remembered
  ARGV[2]   MAXLEN ~ of each XADD; "" = no trimming
  ARGV[3..] per message: "1" when it has an idempotency key (the next one of KEYS), else "0";
            its number of pairs n; then its 2n field and value strings, in order

  A message whose key exists was published before, perhaps by a request whose reply was
  lost: it is not added again, and the id its key holds is returned. Otherwise it is added
  and its key set to the new id in the same step, so no retry, concurrent or late, adds it
  twice; a key repeated within the batch adds its first message only. A message without a
  key is always added.
  Returns per message {id, 1 = duplicate | 0 = added}.
]]
local stream, ttl, maxLen = KEYS[1], ARGV[1], ARGV[2]
local out, k, a = {}, 1, 3
while a <= #ARGV do
  local keyed, n = ARGV[a] == "1", tonumber(ARGV[a + 1])
  local first, last = a + 2, a + 1 + 2 * n
  a = last + 1
  local key = nil
  if keyed then
    k = k + 1
    key = KEYS[k]
  end
  local existing = key and redis.call("GET", key)
  if existing then
    out[#out + 1] = { existing, 1 }
  else
    local id
    if maxLen == "" then
      id = redis.call("XADD", stream, "*", unpack(ARGV, first, last))
    else
      id = redis.call("XADD", stream, "MAXLEN", "~", maxLen, "*", unpack(ARGV, first, last))
    end
    if key then redis.call("SET", key, id, "EX", ttl) end
    out[#out + 1] = { id, 0 }
  end
end
return out
`;
