/** @module Puts dead letters back on their stream, oldest first or by id, in one script call. */
import { DEFAULTS } from "../config/defaults";
import { RequestBudget } from "../redis/budget";
import { LuaScript, type ScriptRedis } from "../redis/script";
import { DEAD_LETTER_REDRIVE } from "../redis/scripts/dead-letter-redrive";
import { MAX_VERBATIM_PAIRS } from "./entry";
import { parseRedriveReply, type RedriveMove, type RedriveSkip } from "./replies";
import { checkRedriveIds } from "./select";

export type { RedriveMove, RedriveSkip, RedriveSkipReason } from "./replies";

const REDRIVE = new LuaScript("dead-letter-redrive", DEAD_LETTER_REDRIVE);

export type RedriveOptions = {
  redis: ScriptRedis;
  /** Stream the entries go back to; only entries that came from it are moved. */
  stream: string;
  dlqStream: string;
  /** Most dead letters to look at (moved or skipped), oldest first. @default 100 */
  count?: number;
  /** First dead-letter id to look at (a previous report's `next`). @default the oldest */
  start?: string;
  /**
   * Exactly these dead letters, in this order, instead of a range: 1 to 100
   * (`DEFAULTS.redrivePageSize`) complete ids, none twice, without `start` or `count`. One
   * not in the dead-letter stream is skipped `not_found`. @default unset: a range
   */
  ids?: readonly string[];
  /** Report what would move without moving anything. @default false */
  dryRun?: boolean;
  /** Counts the requests against the caller's cap. @default an unlimited budget of its own */
  budget?: RequestBudget;
};

export type RedriveReport = {
  dryRun: boolean;
  /** Entries that were (or, dry, would be) moved back, in dead-letter order (or `ids`'). */
  moved: RedriveMove[];
  /** Entries left in the dead-letter stream, each with the reason. */
  skipped: RedriveSkip[];
  /** First dead letter not looked at: the next call's `start`; `null` at the end or with `ids`. */
  next: string | null;
  requests: number;
};

/**
 * Moves dead letters back to their stream, oldest first, in one script call: each is read
 * inside Redis, added back with `XADD stream *` (its original pairs in order, byte for
 * byte) and deleted from the dead-letter stream in the same step, so racing redrives never
 * duplicate one. The re-added entry ends with the pair `original_id` → the id the message
 * first had (kept as it is when it already ends with one: redriven before, the first
 * identity wins), so a handler's idempotency key can stay the same.
 *
 * Entries that cannot go back are skipped and reported, and the rest still move: from
 * another stream (`other_stream`), more than {@link MAX_VERBATIM_PAIRS} + 1 pairs, which
 * the move stores as JSON and one script XADD cannot take (`too_many_fields`: re-add it by
 * hand from `GET /dlq`), unreadable (`malformed`), or refused by Redis (`failed`). They
 * stay where they are: when a whole page is skipped, go on with `start: report.next`.
 * Dead letters of the older layout (`payload` = a JSON object) go back with their names
 * sorted, as that layout kept no order.
 *
 * With `ids`, exactly those dead letters are looked at, in that order, with the same
 * guarantees and skips; an id the dead-letter stream does not hold (never there, redriven or
 * deleted since) is skipped `not_found`, and the others still move.
 * @throws DeadLetterInputError when `ids` is empty, holds more than 100 ids, a malformed or a
 *   repeated one, or comes with `start` or `count`; nothing is sent
 * @see https://redis.io/commands/xrange
 * @see https://redis.io/commands/xadd
 * @see https://redis.io/commands/xdel
 */
export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const ids = checkRedriveIds(options) ?? [];
  const budget = options.budget ?? new RequestBudget();
  const dryRun = options.dryRun ?? false;
  const count = options.count ?? DEFAULTS.redrivePageSize;
  const args = [
    options.start ?? "-",
    String(count),
    dryRun ? "1" : "0",
    String(MAX_VERBATIM_PAIRS),
    ...ids,
  ];
  const keys = [options.dlqStream, options.stream];
  const outcomes = parseRedriveReply(await REDRIVE.run(options.redis, keys, args, budget));
  return { dryRun, ...outcomes, requests: budget.used };
}
