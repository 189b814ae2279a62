/**
 * @module Upstash's cap on one consumer's pending entries: an XREADGROUP that would take them
 * past it is refused, checked and run in one script so no other request slips in between.
 */
import type { Command } from "./protocol";

/** What the cap looks at in one XREADGROUP. */
export type ReadGroup = {
  group: string;
  consumer: string;
  /** COUNT, or null for none (COUNT 0 or below is none too, as Redis reads it). */
  count: number | null;
  noAck: boolean;
  streams: { key: string; id: string }[];
};

/**
 * The parts of `XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS k1 k2 id1 id2`
 * the cap needs, parsed the way Redis parses them (options in any order, the last COUNT
 * wins); null when Redis would refuse the syntax, which it then answers with its own error.
 * @see https://redis.io/commands/xreadgroup
 */
export function parseReadGroup(args: Command): ReadGroup | null {
  let group: [string, string] | null = null;
  let count: number | null = null;
  let noAck = false;
  for (let i = 1; i < args.length; i++) {
    const option = (args[i] ?? "").toUpperCase();
    const more = args.length - i - 1;
    if (option === "STREAMS" && more > 0 && more % 2 === 0 && group !== null) {
      const keys = args.slice(i + 1, i + 1 + more / 2);
      const ids = args.slice(i + 1 + more / 2);
      const streams = keys.map((key, k) => ({ key, id: ids[k] ?? "" }));
      return { group: group[0], consumer: group[1], count, noAck, streams };
    }
    if (option === "GROUP" && more >= 2) {
      group = [args[i + 1] ?? "", args[i + 2] ?? ""];
      i += 2;
    } else if ((option === "COUNT" || option === "BLOCK") && more >= 1) {
      const raw = args[i + 1] ?? "";
      const value = Number(raw);
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value)) {
        return null;
      }
      if (option === "COUNT") {
        count = value > 0 ? value : null;
      }
      i += 1;
    } else if (option === "NOACK") {
      noAck = true;
    } else {
      return null;
    }
  }
  return null;
}

/**
 * Runs the XREADGROUP in ARGV unless, on one of the streams in KEYS, the reading consumer's
 * pending entries plus what it asks for would pass the cap; then answers Upstash's error.
 */
export const PEL_GUARD = `
-- KEYS: the streams read with id ">" (reads of other ids add nothing to the PEL)
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] COUNT ("" for none), ARGV[4] the cap,
-- ARGV[5..] the XREADGROUP command itself
local group, consumer = ARGV[1], ARGV[2]
local count, cap = tonumber(ARGV[3]), tonumber(ARGV[4])

local function fields(row)
  local t = {}
  for i = 1, #row, 2 do t[row[i]] = row[i + 1] end
  return t
end

-- nil when the stream or the group is missing: the read then answers Redis's own error.
local function pending_of(key)
  local rows = redis.pcall('XINFO', 'CONSUMERS', key, group)
  if rows.err then return nil end
  for _, row in ipairs(rows) do
    local f = fields(row)
    if f['name'] == consumer then return f['pending'] end
  end
  return 0
end

-- Without COUNT a read takes every entry after the group's last-delivered-id. Counting stops
-- one entry past the room left: enough to decide, and bounded on a long stream.
local function deliverable(key, room)
  for _, row in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    local f = fields(row)
    if f['name'] == group then
      local after = '(' .. f['last-delivered-id']
      local found = redis.pcall('XRANGE', key, after, '+', 'COUNT', math.max(room + 1, 1))
      if found.err then return 0 end
      return #found
    end
  end
  return 0
end

for _, key in ipairs(KEYS) do
  local pending = pending_of(key)
  if pending then
    local requested = count or deliverable(key, cap - pending)
    if pending + requested > cap then
      return redis.error_reply(string.format(
        'ERR XReadGroup is cancelled. Pending Entries List limit per consumer is about to be ' ..
        'reached. Limit: %d, Current PEL size: %d, Requested Read: %d, Key: %s, Group: %s, ' ..
        'Consumer: %s.', cap, pending, requested, key, group, consumer))
    end
  end
end
return redis.pcall(unpack(ARGV, 5))
`;

/**
 * `command` as the `upstash` profile sends it: an XREADGROUP that can add pending entries
 * (id `>`, no NOACK) becomes an EVAL of {@link PEL_GUARD} around it; anything else, a
 * malformed XREADGROUP included, is sent as it is. A refusal is an error reply of that
 * command alone, so a pipeline carries on past it.
 * @param cap the largest number of pending entries one consumer may hold
 * @see https://redis.io/commands/eval
 */
export function guardReadGroup(command: Command, cap: number): Command {
  if (command[0]?.toUpperCase() !== "XREADGROUP") {
    return command;
  }
  const read = parseReadGroup(command);
  const keys = read?.noAck === false ? read.streams.filter((s) => s.id === ">") : [];
  if (read === null || keys.length === 0) {
    return command;
  }
  const count = read.count === null ? "" : String(read.count);
  return [
    "EVAL",
    PEL_GUARD,
    String(keys.length),
    ...keys.map((s) => s.key),
    read.group,
    read.consumer,
    count,
    String(cap),
    ...command,
  ];
}
