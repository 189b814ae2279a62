/** @module Moves pending entries to the dead-letter stream and acks them, in one script per chunk. */
import { RequestBudget } from "../redis/budget";
import { LuaScript, SCRIPT_MAX_REQUESTS, type ScriptRedis } from "../redis/script";
import { DEAD_LETTER_MOVE } from "../redis/scripts/dead-letter-move";
import { type DeadLetterInput, truncateError } from "./entry";

const MOVE = new LuaScript("dead-letter-move", DEAD_LETTER_MOVE);

/** Entries per script call: keeps one EVAL's arguments and run time small. */
export const MOVE_CHUNK = 100;

export type MoveOptions = {
  redis: ScriptRedis;
  stream: string;
  group: string;
  /** Owner the entries must still be pending for; "" skips the check (NOACK reads). */
  consumer: string;
  dlqStream: string;
  /** Approximate cap of the dead-letter stream. */
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
 * Dead-letters entries and acks them in one script per 100 entries, so k entries cost
 * ceil(k/100) requests (one more after a script flush). Entries no longer pending for
 * `consumer` are skipped, and so are whole chunks that no longer fit the budget.
 * @returns the ids actually moved
 * @see https://redis.io/commands/xadd
 * @see https://redis.io/commands/xack
 */
export async function moveToDeadLetter(options: MoveOptions): Promise<string[]> {
  const budget = options.budget ?? new RequestBudget();
  const deadAt = String(options.now ?? Date.now());
  const keys = [options.stream, options.dlqStream];
  const moved: string[] = [];
  for (let i = 0; i < options.entries.length; i += MOVE_CHUNK) {
    if (!budget.fits(SCRIPT_MAX_REQUESTS, options.reserve ?? 0)) {
      break;
    }
    const args = [options.group, options.consumer, String(options.dlqMaxLen), deadAt];
    for (const e of options.entries.slice(i, i + MOVE_CHUNK)) {
      args.push(e.id, e.reason, truncateError(e.error), JSON.stringify(e.fields));
    }
    moved.push(...(await MOVE.runForIds(options.redis, keys, args, budget)));
  }
  return moved;
}
