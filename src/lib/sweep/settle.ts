/** @module Settles one claimed sweep page: dead-letter, retry through the handler, ack. */
import type { Redis } from "@upstash/redis";
import { type DeadLetterInput, moveToDeadLetter } from "../dead-letter/dead-letter";
import { errorMessage, PermanentError, RedisCommandError } from "../errors";
import { Lease } from "../handling/lease";
import type { Limiter } from "../handling/limiter";
import type { MessageHandler } from "../handling/message";
import { counted, type RequestCounter } from "../redis/budget";
import type { ScriptRedis } from "../redis/script";
import type { ClaimedEntry, ClaimPage } from "./claim";

export type SettleContext = {
  redis: Pick<Redis, "pipeline" | "exec"> & ScriptRedis;
  stream: string;
  group: string;
  consumer: string;
  handler: MessageHandler;
  maxDeliveries: number;
  dlqStream: string;
  dlqMaxLen: number;
  limiter: Limiter;
  signal: AbortSignal;
  cursorKey: string;
  counter: RequestCounter;
  /** Claimed entries still being handled are re-claimed this often (the drain's lease). */
  leaseMs: number;
  /** Whether one lease renewal still fits the run's request limit. */
  mayRenew: () => boolean;
};

export type SettleOutcome = {
  /** Handler runs. */
  retried: number;
  acked: number;
  /** Handler runs that threw (not PermanentError): left pending with their grown counter. */
  failed: number;
  deadLettered: number;
};

type Run = { id: string; error?: string; permanent?: boolean };

/**
 * The counter already includes the claim that just happened, so `deliveries - 1` handler
 * runs came before it. Exhausted means MAX_DELIVERIES runs have failed: a 4th must not start.
 */
export function isExhausted(deliveries: number, maxDeliveries: number): boolean {
  return deliveries > maxDeliveries;
}

async function runHandler(ctx: SettleContext, entry: ClaimedEntry): Promise<Run> {
  const message = {
    id: entry.id,
    stream: ctx.stream,
    group: ctx.group,
    consumer: ctx.consumer,
    fields: entry.fields,
    deliveries: entry.deliveries,
  };
  try {
    await ctx.handler(message, { signal: ctx.signal });
    return { id: entry.id };
  } catch (e) {
    // A handler failure is an outcome, not a sweep failure: it is counted, and a
    // PermanentError's text goes into the dead-letter entry.
    return { id: entry.id, error: errorMessage(e), permanent: e instanceof PermanentError };
  }
}

/**
 * Dead-letters the exhausted entries, runs the handler on the others (at most
 * `limiter.limit` at once), moves PermanentErrors to the dead-letter stream in the same
 * batched script call, then acks successes and deleted ids and stores `cursor` in one
 * pipeline request.
 */
export async function settlePage(
  ctx: SettleContext,
  { claimed, deletedIds, cursor }: ClaimPage,
  /** When the claim request was sent: the lease runs from there. */
  claimSentAt: number,
): Promise<SettleOutcome> {
  const max = ctx.maxDeliveries;
  const dead: DeadLetterInput[] = [];
  const retry: ClaimedEntry[] = [];
  for (const entry of claimed) {
    if (isExhausted(entry.deliveries, max)) {
      const error = `exceeded MAX_DELIVERIES=${max}: failed ${entry.deliveries - 1} deliveries`;
      dead.push({ id: entry.id, fields: entry.fields, reason: "max_deliveries", error });
    } else {
      retry.push(entry);
    }
  }
  // Until a success is acked, or a PermanentError moved, its entry must not look abandoned:
  // a page can outlast MIN_IDLE_MS, and another sweep would claim the entry, run it again
  // and count that run towards max_deliveries (this page's move then skips what it no longer
  // owns). Other failures are let go at once so their backoff starts.
  const lease = new Lease({
    redis: ctx.redis,
    stream: ctx.stream,
    group: ctx.group,
    consumer: ctx.consumer,
    leaseMs: ctx.leaseMs,
    counter: ctx.counter,
    mayRequest: ctx.mayRenew,
  });
  // The exhausted ones too: their move waits for the page's handlers.
  for (const e of claimed) {
    lease.hold(e.id, claimSentAt);
  }
  try {
    return await settleHeld(ctx, retry, dead, deletedIds, cursor, lease);
  } finally {
    lease.stop();
  }
}

async function settleHeld(
  ctx: SettleContext,
  retry: ClaimedEntry[],
  dead: DeadLetterInput[],
  deletedIds: string[],
  cursor: string,
  lease: Lease,
): Promise<SettleOutcome> {
  const runs = await Promise.all(
    retry.map((e) =>
      ctx.limiter.run(async () => {
        const run = await runHandler(ctx, e);
        if (run.error !== undefined && !run.permanent) {
          lease.release(e.id);
        }
        return run;
      }),
    ),
  );
  const fieldsOf = new Map(retry.map((e) => [e.id, e.fields]));
  for (const run of runs) {
    if (run.permanent) {
      const fields = fieldsOf.get(run.id) ?? {};
      dead.push({ id: run.id, fields, reason: "permanent_error", error: run.error ?? "" });
    }
  }
  const moved =
    dead.length === 0
      ? []
      : await moveToDeadLetter({
          redis: ctx.redis,
          stream: ctx.stream,
          group: ctx.group,
          consumer: ctx.consumer,
          dlqStream: ctx.dlqStream,
          dlqMaxLen: ctx.dlqMaxLen,
          entries: dead,
          counter: ctx.counter,
        });
  const succeeded = runs.filter((r) => r.error === undefined).map((r) => r.id);
  await ackAndSaveCursor(ctx, [...succeeded, ...deletedIds], cursor);
  return {
    retried: runs.length,
    acked: succeeded.length,
    failed: runs.filter((r) => r.error !== undefined && !r.permanent).length,
    deadLettered: moved.length,
  };
}

/**
 * One request for both: the cursor is only advanced past a page once the page is settled.
 * @see https://redis.io/commands/xack
 */
async function ackAndSaveCursor(ctx: SettleContext, ids: string[], cursor: string) {
  const pipe = ctx.redis.pipeline();
  if (ids.length > 0) {
    pipe.xack(ctx.stream, ctx.group, ids);
  }
  pipe.set(ctx.cursorKey, cursor);
  try {
    await counted(ctx.counter, pipe.exec());
  } catch (e) {
    throw RedisCommandError.from(ids.length > 0 ? "XACK+SET" : "SET", e);
  }
}
