/** @module Adds messages to a stream in one request; an idempotency key adds its message once. */

import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { validateOptions } from "../config/ranges";
import { ConfigError, PublishInputError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { sendPipeline } from "../redis/calls";
import { streamKeys } from "../redis/keys";
import { LuaScript } from "../redis/script";
import { PUBLISH_ONCE } from "../redis/scripts/publish-once";
import { keepsOrderAsObject, type Publishable, type PublishMessage, toPublishable } from "./input";
import { type PublishResult, parsePublishOnceReply, parseXAddReplies } from "./replies";

export type { PublishMessage } from "./input";
export { MAX_PUBLISH_PAIRS } from "./input";
export type { PublishResult } from "./replies";

const ONCE = new LuaScript("publish-once", PUBLISH_ONCE);

/** What `publish` asks of the client. */
export type PublishRedis = Pick<Redis, "pipeline" | "evalsha" | "eval">;

export type PublishOptions = {
  redis: PublishRedis;
  /** The stream to add to (created by the first `XADD` when missing). */
  stream: string;
  /** The messages, added in this order; none: nothing is sent. */
  messages: readonly PublishMessage[];
  /** `XADD ... MAXLEN ~ maxLen`: keep about this many entries. @default no trimming */
  maxLen?: number;
  /** Seconds an idempotency key is remembered. @default 86,400 (one day) */
  idempotencyTtlS?: number;
  /** Counts the request against the caller's cap. @default an unlimited budget of its own */
  budget?: RequestBudget;
};

/**
 * Adds messages to a stream in one request, in order.
 *
 * Without idempotency keys, one pipeline of `XADD`s: a retry after a lost reply may add a
 * message twice. With keys, one script call for the batch: per message, if the key
 * `streamKeys(stream, group).publishKey(key)` exists its id is returned and nothing is added,
 * else the message is added and the key set to its id for `idempotencyTtlS` seconds, in one
 * step, so a publish retried even after a lost reply adds once. A batch whose pairs an object
 * cannot carry in order (a repeated name, or a name like `"7"`, which JavaScript lists first)
 * goes through the script too, with or without keys.
 * @returns `ids[i]`, the id of message `i` (for a duplicate, the id it got first), and the
 *   number of duplicates
 * @throws ConfigError when an option is out of its range
 * @throws PublishInputError naming the message (and field) that cannot be stored as given
 * @throws RedisCommandError when Redis fails; some messages may have been added (their keys,
 *   when they have one, make a retry return them)
 * @see https://redis.io/commands/xadd
 * @see https://redis.io/commands/set
 */
export async function publish(options: PublishOptions): Promise<PublishResult> {
  validateOptions(options, {
    integers: [["maxLen", "dlqMaxLen"], "idempotencyTtlS"],
    strings: ["stream"],
  });
  const ttl = options.idempotencyTtlS ?? DEFAULTS.publishIdempotencyTtlS;
  if (ttl === 0) {
    throw new ConfigError("idempotencyTtlS", "idempotencyTtlS must be at least 1, got 0");
  }
  if (!Array.isArray(options.messages)) {
    throw new PublishInputError("messages must be an array");
  }
  const batch = options.messages.map((m: unknown, i) => toPublishable(m, i));
  if (batch.length === 0) {
    return { ids: [], duplicates: 0 };
  }
  const io = { ...options, budget: options.budget ?? new RequestBudget() };
  if (batch.every((m) => m.key === undefined && keepsOrderAsObject(m.pairs))) {
    return addAll(io, batch);
  }
  return addOnce(io, batch, ttl);
}

type Io = PublishOptions & { budget: RequestBudget };

/** One pipeline of `XADD`s, one per message. */
async function addAll(io: Io, batch: Publishable[]): Promise<PublishResult> {
  const pipe = io.redis.pipeline();
  const trim =
    io.maxLen === undefined
      ? undefined
      : { trim: { type: "MAXLEN" as const, comparison: "~" as const, threshold: io.maxLen } };
  for (const { pairs } of batch) {
    pipe.xadd(io.stream, "*", Object.fromEntries(pairs), trim);
  }
  return parseXAddReplies(await sendPipeline(pipe, io.budget, "XADD"));
}

/** The publish-once script over the whole batch. */
async function addOnce(io: Io, batch: Publishable[], ttl: number): Promise<PublishResult> {
  // Publish keys belong to the stream: no group plays a part in their names.
  const keys = streamKeys(io.stream, "");
  const keyed = batch.flatMap((m) => (m.key === undefined ? [] : [keys.publishKey(m.key)]));
  const args = [String(ttl), io.maxLen === undefined ? "" : String(io.maxLen)];
  for (const { pairs, key } of batch) {
    args.push(key === undefined ? "0" : "1", String(pairs.length), ...pairs.flat());
  }
  const reply = await ONCE.run(io.redis, [io.stream, ...keyed], args, io.budget);
  return parsePublishOnceReply(reply, batch.length);
}
