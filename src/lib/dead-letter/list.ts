/** @module Lists the dead-letter stream, newest first, a page at a time. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { errorMessage, ReplyShapeError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { sendCommand } from "../redis/calls";
import { parseStreamEntries } from "../replies/index";
import { type DeadLetter, parseDeadLetter } from "./entry";

export type ListOptions = {
  redis: Pick<Redis, "exec">;
  dlqStream: string;
  /** Entries per page. @default 50 */
  count?: number;
  /** Newest id to include (the previous page's `next`); omit for the newest entry. */
  start?: string;
};

/** An entry of the dead-letter stream that is not a dead letter this package can read. */
export type UnreadableDeadLetter = { id: string; error: string };

export type DeadLetterPage = {
  entries: DeadLetter[];
  /** Entries of this page that could not be read, left out of `entries`. */
  unreadable: UnreadableDeadLetter[];
  /** Where the next page starts; `null` after the oldest entry. */
  next: string | null;
};

/**
 * Dead-letter entries, newest first. Page with `next` as the following call's `start`. An
 * entry that cannot be read (not written by this package, or damaged) is reported in
 * `unreadable` with the reason, and the page goes on.
 * @see https://redis.io/commands/xrevrange
 */
export async function listDeadLetters(options: ListOptions): Promise<DeadLetterPage> {
  const count = options.count ?? DEFAULTS.dlqPageSize;
  const start = options.start ?? "+";
  const raw = await sendCommand(options.redis, new RequestBudget(), [
    "XREVRANGE",
    options.dlqStream,
    start,
    "-",
    "COUNT",
    count + 1,
  ]);
  const all = parseStreamEntries(raw);
  const page: DeadLetterPage = { entries: [], unreadable: [], next: all[count]?.id ?? null };
  for (const e of all.slice(0, count)) {
    try {
      page.entries.push(parseDeadLetter(e.id, e.pairs));
    } catch (error) {
      if (!(error instanceof ReplyShapeError)) {
        throw error;
      }
      page.unreadable.push({ id: e.id, error: errorMessage(error) });
    }
  }
  return page;
}
