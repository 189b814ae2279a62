/** @module Puts dead letters back on their stream, oldest first, atomically per entry. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { ReplyShapeError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { sendCommand } from "../redis/calls";
import { LuaScript, type ScriptRedis } from "../redis/script";
import { DEAD_LETTER_REDRIVE } from "../redis/scripts/dead-letter-redrive";
import { parseStreamEntries } from "../replies/index";
import { asArray, asString } from "../replies/shape";
import { parseDeadLetter } from "./entry";

const REDRIVE = new LuaScript("dead-letter-redrive", DEAD_LETTER_REDRIVE);

export type RedriveOptions = {
  redis: ScriptRedis & Pick<Redis, "exec">;
  /** Stream the entries go back to; only entries that came from it are moved. */
  stream: string;
  dlqStream: string;
  /** Most entries to move, oldest first. @default 100 */
  count?: number;
  /** Report what would move without moving anything. @default false */
  dryRun?: boolean;
  /** Counts the requests against the caller's cap. @default an unlimited budget of its own */
  budget?: RequestBudget;
};

export type RedriveReport = {
  dryRun: boolean;
  /** Entries that were (or, dry, would be) moved: dead-letter id → new stream id. */
  moved: { dlqId: string; originalId: string; newId: string | null }[];
  /** Entries left in place because they came from another stream. */
  skipped: number;
  requests: number;
};

/**
 * Moves dead letters back to their stream, oldest first: `XADD stream * ...payload` and
 * `XDEL dlq id` in one script call for the whole page, atomically per entry.
 * @see https://redis.io/commands/xadd
 * @see https://redis.io/commands/xdel
 */
export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const budget = options.budget ?? new RequestBudget();
  const dryRun = options.dryRun ?? false;
  const count = options.count ?? DEFAULTS.redrivePageSize;
  const raw = await sendCommand(options.redis, budget, [
    "XRANGE",
    options.dlqStream,
    "-",
    "+",
    "COUNT",
    count,
  ]);
  const letters = parseStreamEntries(raw).flatMap((e) =>
    e.fields ? [parseDeadLetter(e.id, e.fields)] : [],
  );
  const eligible = letters.filter(
    (l) => l.originalStream === options.stream && Object.keys(l.payload).length > 0,
  );
  const skipped = letters.length - eligible.length;
  const originalOf = new Map(eligible.map((l) => [l.id, l.originalId]));
  if (dryRun || eligible.length === 0) {
    const moved = eligible.map((l) => ({ dlqId: l.id, originalId: l.originalId, newId: null }));
    return { dryRun, moved, skipped, requests: budget.used };
  }
  const args: string[] = [];
  for (const l of eligible) {
    const flat = Object.entries(l.payload).flat();
    args.push(l.id, String(flat.length), ...flat);
  }
  const reply = await REDRIVE.run(options.redis, [options.dlqStream, options.stream], args, budget);
  const moved = parseRedriveReply(reply).map(([dlqId, newId]) => ({
    dlqId,
    originalId: originalOf.get(dlqId) ?? "",
    newId,
  }));
  return { dryRun, moved, skipped, requests: budget.used };
}

/**
 * Reply of the redrive script: `[dlqId, newId]` per entry moved.
 *
 * Raw: `[["1795709122570-0", "1795709122590-0"]]`
 */
export function parseRedriveReply(raw: unknown): [string, string][] {
  return asArray(raw, "dead-letter-redrive reply").map((pair, i) => {
    const what = `dead-letter-redrive pair ${i}`;
    const [dlqId, newId] = asArray(pair, what);
    if (dlqId === undefined || newId === undefined) {
      throw new ReplyShapeError(`${what}: expected [dlqId, newId]`);
    }
    return [asString(dlqId, `${what} dlqId`), asString(newId, `${what} newId`)];
  });
}
