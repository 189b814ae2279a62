/** @module Moves pending entries to the dead-letter stream and acks them, in one script per chunk. */
import { RequestBudget } from "../redis/budget";
import { streamKeys } from "../redis/keys";
import { LuaScript, SCRIPT_MAX_REQUESTS, type ScriptRedis } from "../redis/script";
import { DEAD_LETTER_MOVE } from "../redis/scripts/dead-letter-move";
import { type DeadLetterInput, MAX_VERBATIM_PAIRS, truncateError } from "./entry";
import { emptyMoveResult, type MoveResult, parseMoveReply } from "./replies";

export type { MoveResult } from "./replies";

const MOVE = new LuaScript("dead-letter-move", DEAD_LETTER_MOVE);

/**
 * Entries per script call. A request carries ids, reasons and errors (at most 1 KiB each),
 * never payloads: about 110 KiB at worst, whatever the messages weigh.
 */
export const MOVE_CHUNK = 100;

export type MoveOptions = {
  redis: ScriptRedis;
  stream: string;
  group: string;
  /** Owner the entries must still be pending for; "" skips the check (NOACK reads). */
  consumer: string;
  dlqStream: string;
  /**
   * Capacity of the dead-letter stream: once it holds this many entries, nothing more is
   * moved (the entries stay pending and are reported `full`); it is never trimmed.
   */
  dlqMaxLen: number;
  entries: DeadLetterInput[];
  /** Counts the requests against the caller's cap. @default an unlimited budget of its own */
  budget?: RequestBudget;
  /**
   * Requests to keep back in `budget`: no chunk starts unless its worst case still leaves
   * them; the entries of chunks not started stay pending (the sweep moves them). @default 0
   */
  reserve?: number;
  /** `dead_at` of the entries. @default Date.now() */
  now?: number;
};

/**
 * Dead-letters entries and acks them, one script call per 100 entries, so k entries cost
 * ceil(k/100) requests (one more after a script flush). The script reads each entry inside
 * Redis and copies its pairs byte for byte after the metadata (layout in `entry.ts`); the
 * request holds no payload, so its size does not depend on the messages.
 *
 * Per entry: moved (and acked, its count removed from the group's failures hash); left
 * alone when no longer pending for `consumer`; acked without a dead letter when it was
 * deleted while pending (`gone`); left pending when the dead-letter stream holds
 * `dlqMaxLen` entries (`full`: the stream is never trimmed, so no dead letter is dropped
 * and none is lost); left pending when Redis refuses it (`failed`), without stopping the
 * others. Chunks that no longer fit the budget are not sent (`notSent`).
 * @returns every entry's outcome
 * @throws RedisCommandError when a script call fails as a whole; chunks before it applied
 * @see https://redis.io/commands/xrange
 * @see https://redis.io/commands/xadd
 * @see https://redis.io/commands/xack
 */
export async function moveToDeadLetter(options: MoveOptions): Promise<MoveResult> {
  const budget = options.budget ?? new RequestBudget();
  const deadAt = String(options.now ?? Date.now());
  const { failures } = streamKeys(options.stream, options.group, options.dlqStream);
  const keys = [options.stream, options.dlqStream, failures];
  const result = emptyMoveResult();
  for (let i = 0; i < options.entries.length; i += MOVE_CHUNK) {
    if (!budget.fits(SCRIPT_MAX_REQUESTS, options.reserve ?? 0)) {
      result.notSent.push(...options.entries.slice(i).map((e) => e.id));
      break;
    }
    const args = [
      options.group,
      options.consumer,
      String(options.dlqMaxLen),
      deadAt,
      String(MAX_VERBATIM_PAIRS),
    ];
    for (const e of options.entries.slice(i, i + MOVE_CHUNK)) {
      args.push(e.id, e.reason, truncateError(e.error));
    }
    parseMoveReply(await MOVE.run(options.redis, keys, args, budget), result);
  }
  return result;
}
