/** @module The dead-letter stream: entry format (DESIGN 6), atomic move, listing and redrive. */
import type { Redis } from "@upstash/redis";
import { RedisCommandError, ReplyShapeError } from "../errors";
import { counted, type RequestCounter, requestCounter } from "../redis/budget";
import { LuaScript, type ScriptRedis } from "../redis/script";
import { DEAD_LETTER_MOVE } from "../redis/scripts/dead-letter-move";
import { DEAD_LETTER_REDRIVE } from "../redis/scripts/dead-letter-redrive";
import { parseStreamEntries } from "../replies/index";

export type DeadLetterReason = "max_deliveries" | "permanent_error";

/** One message on its way to the dead-letter stream. */
export type DeadLetterInput = {
  id: string;
  fields: Record<string, string>;
  reason: DeadLetterReason;
  /** Last error text; cut to 1 KiB. */
  error: string;
};

/** A dead-letter entry as listed (DESIGN 6). */
export type DeadLetter = {
  /** Id in the dead-letter stream. */
  id: string;
  originalId: string;
  originalStream: string;
  group: string;
  lastConsumer: string;
  deliveries: number;
  reason: string;
  error: string;
  deadAt: number;
  /** The original fields, verbatim. */
  payload: Record<string, string>;
};

const MOVE = new LuaScript("dead-letter-move", DEAD_LETTER_MOVE);
const REDRIVE = new LuaScript("dead-letter-redrive", DEAD_LETTER_REDRIVE);
const MAX_ERROR_BYTES = 1024;
/** Entries per script call: keeps one EVAL's arguments and run time small. */
export const MOVE_CHUNK = 100;

/** Cuts to at most 1 KiB of UTF-8 without splitting a character. */
export function truncateError(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= MAX_ERROR_BYTES) {
    return text;
  }
  const cut = new TextDecoder().decode(bytes.slice(0, MAX_ERROR_BYTES - 3));
  return `${cut.replace(/\uFFFD$/, "")}...`;
}

export type MoveOptions = {
  redis: ScriptRedis;
  stream: string;
  group: string;
  /** Owner the entries must still be pending for; "" skips the check (NOACK reads). */
  consumer: string;
  dlqStream: string;
  /** Approximate cap of the dead-letter stream. @default 100000 */
  dlqMaxLen: number;
  entries: DeadLetterInput[];
  counter?: RequestCounter;
  now?: number;
};

/**
 * Dead-letters entries and acks them in one script per 100 entries, so k entries cost
 * ceil(k/100) requests. Entries no longer pending for `consumer` are skipped.
 * @returns the ids actually moved
 * @see https://redis.io/commands/xadd
 */
export async function moveToDeadLetter(options: MoveOptions): Promise<string[]> {
  const counter = options.counter ?? requestCounter();
  const deadAt = String(options.now ?? Date.now());
  const moved: string[] = [];
  for (let i = 0; i < options.entries.length; i += MOVE_CHUNK) {
    const chunk = options.entries.slice(i, i + MOVE_CHUNK);
    const args = [options.group, options.consumer, String(options.dlqMaxLen), deadAt];
    for (const e of chunk) {
      args.push(e.id, e.reason, truncateError(e.error), JSON.stringify(e.fields));
    }
    const keys = [options.stream, options.dlqStream];
    const reply = await MOVE.run(options.redis, keys, args, counter);
    if (!Array.isArray(reply)) {
      throw new ReplyShapeError(`dead-letter move returned ${JSON.stringify(reply)}`);
    }
    moved.push(...reply.map(String));
  }
  return moved;
}

/**
 * Turns a raw dead-letter entry into a DeadLetter.
 *
 * Raw fields: `["original_id","1-0","original_stream","s","group","g","last_consumer","c",
 * "deliveries","3","reason","max_deliveries","error","boom","dead_at","1795709122566",
 * "payload","{\"amount\":\"12\"}"]`
 */
export function parseDeadLetter(id: string, fields: Record<string, string>): DeadLetter {
  let payload: unknown;
  try {
    payload = JSON.parse(fields.payload ?? "");
  } catch (e) {
    throw new ReplyShapeError(`dead-letter ${id} has a payload that is not JSON`, { cause: e });
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new ReplyShapeError(`dead-letter ${id} has a payload that is not a JSON object`);
  }
  return {
    id,
    originalId: fields.original_id ?? "",
    originalStream: fields.original_stream ?? "",
    group: fields.group ?? "",
    lastConsumer: fields.last_consumer ?? "",
    deliveries: Number(fields.deliveries ?? 0),
    reason: fields.reason ?? "",
    error: fields.error ?? "",
    deadAt: Number(fields.dead_at ?? 0),
    payload: Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, String(v)])),
  };
}

export type ListOptions = {
  redis: Pick<Redis, "exec">;
  dlqStream: string;
  /** @default 50 */
  count?: number;
  /** Newest id to include; omit for the newest entry. */
  start?: string;
};

/**
 * Dead-letter entries, newest first. Page with `next` as the following call's `start`.
 * @see https://redis.io/commands/xrevrange
 */
export async function listDeadLetters(
  options: ListOptions,
): Promise<{ entries: DeadLetter[]; next: string | null }> {
  const count = options.count ?? 50;
  const start = options.start ?? "+";
  let raw: unknown;
  try {
    raw = await options.redis.exec([
      "XREVRANGE",
      options.dlqStream,
      start,
      "-",
      "COUNT",
      count + 1,
    ]);
  } catch (e) {
    throw RedisCommandError.from("XREVRANGE", e);
  }
  const all = parseStreamEntries(raw).flatMap((e) =>
    e.fields ? [{ id: e.id, fields: e.fields }] : [],
  );
  const page = all.slice(0, count).map((e) => parseDeadLetter(e.id, e.fields));
  return { entries: page, next: all.length > count ? (all[count]?.id ?? null) : null };
}

export type RedriveOptions = {
  redis: ScriptRedis & Pick<Redis, "exec">;
  /** Stream the entries go back to; only entries that came from it are moved. */
  stream: string;
  dlqStream: string;
  /** Most entries to move, oldest first. @default 100 */
  count?: number;
  /** Report what would move without moving anything. @default false */
  dryRun?: boolean;
  counter?: RequestCounter;
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
 */
export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const counter = options.counter ?? requestCounter();
  const dryRun = options.dryRun ?? false;
  const count = options.count ?? 100;
  let raw: unknown;
  try {
    raw = await counted(
      counter,
      options.redis.exec(["XRANGE", options.dlqStream, "-", "+", "COUNT", count]),
    );
  } catch (e) {
    throw RedisCommandError.from("XRANGE", e);
  }
  const letters = parseStreamEntries(raw).flatMap((e) =>
    e.fields ? [parseDeadLetter(e.id, e.fields)] : [],
  );
  const eligible = letters.filter(
    (l) => l.originalStream === options.stream && Object.keys(l.payload).length > 0,
  );
  const skipped = letters.length - eligible.length;
  if (dryRun || eligible.length === 0) {
    const moved = eligible.map((l) => ({ dlqId: l.id, originalId: l.originalId, newId: null }));
    return { dryRun, moved, skipped, requests: counter.count };
  }
  const args: string[] = [];
  for (const l of eligible) {
    const flat = Object.entries(l.payload).flat();
    args.push(l.id, String(flat.length), ...flat);
  }
  const reply = await REDRIVE.run(
    options.redis,
    [options.dlqStream, options.stream],
    args,
    counter,
  );
  const byId = new Map(eligible.map((l) => [l.id, l.originalId]));
  const moved = (Array.isArray(reply) ? reply : []).map((pair) => {
    const [dlqId, newId] = pair as [string, string];
    return {
      dlqId: String(dlqId),
      originalId: byId.get(String(dlqId)) ?? "",
      newId: String(newId),
    };
  });
  return { dryRun, moved, skipped, requests: counter.count };
}
