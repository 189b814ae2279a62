/** @module Lists the dead-letter stream, newest first, a page at a time. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
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

/**
 * Dead-letter entries, newest first. Page with `next` as the following call's `start`.
 * @see https://redis.io/commands/xrevrange
 */
export async function listDeadLetters(
  options: ListOptions,
): Promise<{ entries: DeadLetter[]; next: string | null }> {
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
  const all = parseStreamEntries(raw).flatMap((e) =>
    e.fields ? [{ id: e.id, fields: e.fields }] : [],
  );
  const page = all.slice(0, count).map((e) => parseDeadLetter(e.id, e.fields));
  return { entries: page, next: all.length > count ? (all[count]?.id ?? null) : null };
}
