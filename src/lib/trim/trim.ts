/** @module Post-sweep trimming that never drops a message: XTRIM MINID below what groups need. */
import type { Redis } from "@upstash/redis";
import type { TrimPolicy } from "../config/parsers";
import { RedisCommandError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { type Pipeline, replyResult, sendCommand, sendPipeline } from "../redis/calls";
import {
  type GroupInfo,
  parseStreamEntries,
  parseXInfoGroups,
  parseXPendingExtended,
  type ReadEntry,
} from "../replies/index";
import { asInteger } from "../replies/shape";
import {
  type EndRange,
  type GroupPosition,
  type HeldReason,
  lowestNeed,
  maxLenMinId,
  type Need,
  nthNewestRange,
} from "./bound";

export {
  ackedTrimBound,
  type GroupPosition,
  type HeldReason,
  lowestNeed,
  maxLenMinId,
  type Need,
  type NeedReason,
  nthNewestRange,
} from "./bound";

/** Most requests {@link trimStream} makes for a policy. */
export function trimMaxRequests(policy: TrimPolicy): number {
  return { none: 0, maxlen: 3, acked: 3 }[policy.kind];
}

export type TrimOptions = {
  redis: Pick<Redis, "exec" | "pipeline">;
  stream: string;
  policy: TrimPolicy;
  /** Counts the requests against the caller's cap. @default an unlimited budget of its own */
  budget?: RequestBudget;
};

export type TrimReport = {
  /** Entries removed. */
  trimmed: number;
  /** The MINID of the `XTRIM` sent, `null` when none was sent. */
  minId: string | null;
  /**
   * `maxlen:N` only: entries older than the newest N that were kept because a group still
   * needs them, or because the stream has no group. 0 otherwise.
   */
  heldBack: number;
  /** Why `heldBack` entries were kept; `null` when none were. */
  heldReason: HeldReason | null;
  /** The group furthest behind, which keeps them; `null` when none were kept or no group exists. */
  heldBy: string | null;
  requests: number;
};

type Outcome = Omit<TrimReport, "requests">;

const NOTHING: Outcome = { trimmed: 0, minId: null, heldBack: 0, heldReason: null, heldBy: null };

/** What the reads and the trim need: the client, the stream, the caller's budget. */
type Io = { redis: TrimOptions["redis"]; stream: string; budget: RequestBudget };

/** `XINFO GROUPS` fails with "no such key" on a missing stream: no groups, not an error. */
function groupsOrNone(reply: () => unknown): GroupInfo[] {
  try {
    return parseXInfoGroups(reply());
  } catch (e) {
    if (e instanceof RedisCommandError && /no such key/i.test(e.message)) {
      return [];
    }
    throw e;
  }
}

/** `XINFO GROUPS` and `XLEN`, in one request. */
async function readGroupsAndLength(io: Io): Promise<{ groups: GroupInfo[]; length: number }> {
  const pipe = io.redis.pipeline();
  pipe.xinfo(io.stream, { type: "GROUPS" });
  pipe.xlen(io.stream);
  const [info, len] = await sendPipeline(pipe, io.budget, "XINFO GROUPS+XLEN");
  const length = asInteger(replyResult(len, "XLEN"), "XLEN reply");
  return { groups: groupsOrNone(() => replyResult(info, "XINFO GROUPS")), length };
}

/** Queues the read of `range` on `pipe`; returns the command's name. */
function addRange(pipe: Pipeline, stream: string, range: EndRange): string {
  if (range.from === "oldest") {
    pipe.xrange(stream, "-", "+", range.count);
    return "XRANGE";
  }
  pipe.xrevrange(stream, "+", "-", range.count);
  return "XREVRANGE";
}

/**
 * The lowest id some group needs, from `XPENDING <stream> <group> - + 1` for each group with
 * pending entries, pipelined in one request with `range` when given (no request when there is
 * nothing to ask).
 */
async function readNeed(
  io: Io,
  groups: GroupInfo[],
  range?: EndRange,
): Promise<{ need: Need<GroupInfo & GroupPosition> | null; entries: ReadEntry[] }> {
  const busy = groups.filter((g) => g.pending > 0);
  const pipe = io.redis.pipeline();
  for (const g of busy) {
    pipe.xpending(io.stream, g.name, "-", "+", 1);
  }
  const rangeName = range === undefined ? undefined : addRange(pipe, io.stream, range);
  const label = [...(busy.length > 0 ? ["XPENDING"] : []), ...(rangeName ? [rangeName] : [])];
  const replies = pipe.length() === 0 ? [] : await sendPipeline(pipe, io.budget, label.join("+"));
  const oldest = new Map<string, string>();
  busy.forEach((g, i) => {
    const [row] = parseXPendingExtended(replyResult(replies[i], "XPENDING"));
    if (row) {
      oldest.set(g.name, row.id);
    }
  });
  const need = lowestNeed(
    groups.map((g) => ({ ...g, oldestPendingId: oldest.get(g.name) ?? null })),
  );
  const entries = rangeName ? parseStreamEntries(replyResult(replies[busy.length], rangeName)) : [];
  return { need, entries };
}

/** Exact `XTRIM <stream> MINID = <minId>`: removes every entry below `minId`, no other. */
async function trimBelow(io: Io, minId: string): Promise<number> {
  const reply = await sendCommand(io.redis, io.budget, ["XTRIM", io.stream, "MINID", "=", minId]);
  return asInteger(reply, "XTRIM reply");
}

/** `acked`: everything below the lowest id some group needs. */
async function trimAcked(io: Io): Promise<Outcome> {
  const { groups, length } = await readGroupsAndLength(io);
  const { need } = length === 0 ? { need: null } : await readNeed(io, groups);
  return need === null
    ? NOTHING
    : { ...NOTHING, trimmed: await trimBelow(io, need.id), minId: need.id };
}

/**
 * `maxlen:N`: the lower of the Nth newest id and the lowest id some group needs, so the
 * stream keeps about N entries plus whatever a group has pending or not yet read; nothing
 * with no group. Three requests at most: `XINFO GROUPS`+`XLEN`; `XPENDING` of the busy
 * groups + the range up to the Nth newest ({@link nthNewestRange}); `XTRIM MINID`.
 *
 * Not atomic, and it need not be: between the reads and the trim, an `XADD` only adds ids
 * above every id read; a read, ack or claim only moves a group's need up; a group created at
 * `$` needs nothing below the top. So the MINID stays at or below what every group needs
 * when it runs. Entries removed meanwhile (`XDEL`, another trim) can only make the cut keep
 * fewer than N, never pass that need; a range reply shorter than asked (the stream shrank
 * below the count) skips the trim. A script would also see a group created at `0` or an old
 * id, or moved back with `XGROUP SETID`, in between, but it would read up to N entries inside
 * Redis, blocking every other client; `acked` takes the same gap, and the docs say not to
 * trim while changing groups.
 */
async function trimMaxLen(io: Io, maxLen: number): Promise<Outcome> {
  const { groups, length } = await readGroupsAndLength(io);
  if (length <= maxLen) {
    return NOTHING;
  }
  if (groups.length === 0) {
    return { ...NOTHING, heldBack: length - maxLen, heldReason: "no_group" };
  }
  const range = nthNewestRange(length, maxLen);
  const { need, entries } = await readNeed(io, groups, range);
  const nth = entries.at(-1);
  if (need === null || nth === undefined || entries.length < range.count) {
    return NOTHING;
  }
  const { minId, held } = maxLenMinId(nth.id, need);
  const trimmed = await trimBelow(io, minId);
  // Entries that were beyond N when counted and stayed: those in [need, Nth newest).
  const heldBack = held ? Math.max(0, length - maxLen - trimmed) : 0;
  return heldBack === 0
    ? { ...NOTHING, trimmed, minId }
    : { trimmed, minId, heldBack, heldReason: need.reason, heldBy: need.group.name };
}

/**
 * Trims the stream by `policy`, never removing an entry some group of the stream has pending
 * or has not yet been delivered (entries below a group's `$` start were never meant for it).
 * `acked`: `XINFO GROUPS` + `XLEN`, the oldest pending id of every group with pending
 * entries (one pipeline), then exact `XTRIM MINID` at that bound. `maxlen:N`: exact
 * `XTRIM MINID` at the Nth newest id, or at that bound when it is lower (see `trimMaxLen`);
 * the entries beyond N kept for a group are reported in `heldBack`, `heldReason` and
 * `heldBy`. A stream with no group is not trimmed. Safe against writes, reads and acks in
 * between (the bound only rises); not against a group created at an old id, or moved back
 * with SETID, in between.
 * @see https://redis.io/commands/xtrim
 * @see https://redis.io/commands/xinfo-groups
 * @see https://redis.io/commands/xpending
 */
export async function trimStream(options: TrimOptions): Promise<TrimReport> {
  const { redis, stream, policy } = options;
  const budget = options.budget ?? new RequestBudget();
  const before = budget.used;
  const io = { redis, stream, budget };
  const outcome =
    policy.kind === "none"
      ? NOTHING
      : policy.kind === "maxlen"
        ? await trimMaxLen(io, policy.maxLen)
        : await trimAcked(io);
  return { ...outcome, requests: budget.used - before };
}
