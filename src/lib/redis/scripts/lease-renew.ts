/** @module Lua: renews a lease on the pending entries its consumer still owns, and only those. */

export const LEASE_RENEW = `--[[
  KEYS[1]  stream
  ARGV[1]  group
  ARGV[2]  consumer holding the lease
  ARGV[3..] ids whose handlers are still running

  Each id still pending for ARGV[2] gets its idle time reset (XCLAIM ... 0 JUSTID, which
  leaves the delivery counter alone) and is returned. An id that another consumer claimed
  in the meantime, or that was acked, is left alone: taking a claimed entry back would make
  that claim a delivery nobody ran, and after a few such steals a sweep would dead-letter
  as max_deliveries a message whose handler never failed. Checking and claiming in one
  script means no claim can slip in between.
]]
local stream, group, owner = KEYS[1], ARGV[1], ARGV[2]
local kept = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if #redis.call("XPENDING", stream, group, id, id, 1, owner) == 1 then
    redis.call("XCLAIM", stream, group, owner, 0, id, "JUSTID")
    kept[#kept + 1] = id
  end
end
return kept
`;
