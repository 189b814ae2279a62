/** @module A stream's delayed set: messages sent with a delay, moved into the stream once due. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { validateOptions } from "../config/ranges";
import type { RequestBudget } from "../redis/budget";
import { type Pipeline, replyResult, sendPipeline } from "../redis/calls";
import { streamKeys } from "../redis/keys";
import { LuaScript, type ScriptRedis } from "../redis/script";
import { PROMOTE_DUE } from "../redis/scripts/promote-due";
import type { FieldPair } from "../replies/index";
import { asArray, asInteger, fail } from "../replies/shape";

/** The promote-due script's text, for a caller that queues it in a pipeline of its own. */
export { PROMOTE_DUE } from "../redis/scripts/promote-due";

const SCRIPT = new LuaScript("promote-due", PROMOTE_DUE);

/** The delayed set of `stream`: it belongs to the stream, whatever the group. */
export function delayedKey(stream: string): string {
  return streamKeys(stream, "").delayed;
}

/** Messages this isolate has delayed: the start of each nonce. */
let sent = 0;

/**
 * A nonce that sorts after every one this isolate made before: a sorted set orders members of
 * equal score by their bytes, so messages due in the same ms (a batch with one delay) leave
 * in the order they were sent. The random part keeps isolates apart.
 */
export function nextNonce(): string {
  sent += 1;
  return `${sent.toString(36).padStart(11, "0")}-${crypto.randomUUID()}`;
}

/**
 * The delayed set's member of one message: `{"n": nonce, "p": [field, value, ...]}`. The
 * nonce keeps two identical messages sent for the same time apart: a sorted set holds a
 * member once, so without it the second would only move the first's due time.
 * @param nonce @default {@link nextNonce}()
 */
export function delayedMember(
  pairs: readonly (readonly [string, string])[],
  nonce: string = nextNonce(),
): string {
  return JSON.stringify({ n: nonce, p: pairs.flat() });
}

/**
 * Queues on `pipe` the `ZADD` of one message due at `dueMs` (ms since the epoch).
 * @see https://redis.io/commands/zadd
 */
export function queueDelayed(
  pipe: Pipeline,
  stream: string,
  pairs: readonly (readonly [string, string])[],
  dueMs: number,
): void {
  pipe.zadd(delayedKey(stream), { score: dueMs, member: delayedMember(pairs) });
}

/** One message to add to the delayed set. */
export type DelayedMessage = { pairs: readonly FieldPair[]; delaySeconds: number };

/** What {@link addDelayed} needs. */
export type AddDelayedOptions = {
  redis: Pick<Redis, "pipeline">;
  stream: string;
  budget: RequestBudget;
  messages: readonly DelayedMessage[];
  /** ms since the epoch the delays count from. @default Date.now() */
  now?: number;
};

/**
 * Adds messages to the stream's delayed set in one request (a pipeline of `ZADD`s), each
 * scored `now + delaySeconds * 1000`; none: nothing is sent.
 * @returns how many were added
 * @throws RedisCommandError when the request or a `ZADD` failed (those before it were added)
 * @see https://redis.io/commands/zadd
 */
export async function addDelayed(o: AddDelayedOptions): Promise<number> {
  if (o.messages.length === 0) {
    return 0;
  }
  const now = o.now ?? Date.now();
  const pipe = o.redis.pipeline();
  for (const { pairs, delaySeconds } of o.messages) {
    queueDelayed(pipe, o.stream, pairs, now + delaySeconds * 1000);
  }
  const replies = await sendPipeline(pipe, o.budget, "ZADD");
  for (const reply of replies) {
    replyResult(reply, "ZADD");
  }
  return replies.length;
}

/** What a promotion did. */
export type PromoteResult = {
  /** Messages moved into the stream. */
  moved: number;
  /** When the earliest message still delayed is due (ms since the epoch); null: none is. */
  nextDueMs: number | null;
};

/**
 * The promote-due script's reply: how many it moved, and the lowest score left or -1.
 *
 * Raw: `[2, 1795709183000]` (two moved, the next due then), `[0, -1]` (nothing delayed).
 * @throws ReplyShapeError on anything else
 */
export function parsePromoteReply(raw: unknown): PromoteResult {
  const what = "promote-due reply";
  const items = asArray(raw, what);
  if (items.length !== 2) {
    fail(what, "[moved, nextDue]", raw);
  }
  const moved = asInteger(items[0], `${what} moved`);
  const next = asInteger(items[1], `${what} nextDue`);
  if (moved < 0) {
    fail(`${what} moved`, "a count", moved);
  }
  if (next < -1) {
    fail(`${what} nextDue`, "a time in ms or -1", next);
  }
  return { moved, nextDueMs: next === -1 ? null : next };
}

/** The keys and arguments of one promote-due run, for `pipe.eval(PROMOTE_DUE, keys, args)`. */
export function promoteDueArgs(
  stream: string,
  now: number,
  limit: number,
): { keys: string[]; args: string[] } {
  return { keys: [delayedKey(stream), stream], args: [String(Math.floor(now)), String(limit)] };
}

/** What {@link promoteDue} needs. */
export type PromoteOptions = {
  redis: ScriptRedis;
  stream: string;
  budget: RequestBudget;
  /** ms since the epoch: messages due by then are moved. @default Date.now() */
  now?: number;
  /** Most messages moved. @default DEFAULTS.promoteBatch (100) */
  limit?: number;
};

/**
 * Moves the stream's delayed messages that are due by `now` into the stream, earliest first,
 * at most `limit` of them, in one script run: each is added by `XADD *` with exactly the
 * pairs it was sent with and leaves the set in the same step.
 * @returns how many moved, and when the next one left is due
 * @throws ConfigError when `limit` is not an integer in 1..10,000
 * @throws RedisCommandError when the script fails (a member that is not a message: nothing
 *   is moved)
 * @see https://redis.io/commands/zrangebyscore
 * @see https://redis.io/commands/xadd
 */
export async function promoteDue(o: PromoteOptions): Promise<PromoteResult> {
  validateOptions(o, { integers: [["limit", "promoteBatch"]], strings: ["stream"] });
  const { keys, args } = promoteDueArgs(
    o.stream,
    o.now ?? Date.now(),
    o.limit ?? DEFAULTS.promoteBatch,
  );
  return parsePromoteReply(await SCRIPT.run(o.redis, keys, args, o.budget));
}
