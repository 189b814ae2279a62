/** @module Settles one claimed sweep page: dead-letter, retry through the handler, ack. */
import type { Redis } from "@upstash/redis";
import type { DeadLetterInput } from "../dead-letter/entry";
import { moveToDeadLetter } from "../dead-letter/move";
import { Lease } from "../handling/lease";
import type { Limiter } from "../handling/limiter";
import type { MessageHandler } from "../handling/message";
import { type HandlerOutcome, runHandler } from "../handling/outcome";
import type { RequestBudget } from "../redis/budget";
import { replyResult, sendPipeline } from "../redis/calls";
import type { ScriptRedis } from "../redis/script";
import type { ClaimedEntry, ClaimPage } from "./claim";
import type { SweepEvent } from "./options";

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
  budget: RequestBudget;
  emit: (event: SweepEvent) => void;
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

type Run = { entry: ClaimedEntry; outcome: HandlerOutcome };

/**
 * The counter already includes the claim that just happened, so `deliveries - 1` handler
 * runs came before it. Exhausted means MAX_DELIVERIES runs have failed: a 4th must not start.
 */
export function isExhausted(deliveries: number, maxDeliveries: number): boolean {
  return deliveries > maxDeliveries;
}

/**
 * Dead-letters the exhausted entries, runs the handler on the others (at most
 * `limiter.limit` at once), moves PermanentErrors to the dead-letter stream in the same
 * batched script call, then acks successes and deleted ids and stores `cursor` in one
 * pipeline request.
 * @param claimSentAt when the claim request was sent: the lease runs from there
 */
export async function settlePage(
  ctx: SettleContext,
  page: ClaimPage,
  claimSentAt: number,
): Promise<SettleOutcome> {
  const max = ctx.maxDeliveries;
  const exhausted = page.claimed.filter((e) => isExhausted(e.deliveries, max));
  const retry = page.claimed.filter((e) => !isExhausted(e.deliveries, max));
  if (page.claimed.length > 0) {
    ctx.emit({ event: "claimed", ids: page.claimed.map((e) => e.id) });
  }
  // Until a success is acked, or a PermanentError moved, its entry must not look abandoned:
  // a page can outlast MIN_IDLE_MS, and another sweep would claim the entry, run it again
  // and count that run towards max_deliveries (this page's move then skips what it no longer
  // owns). Other failures are let go at once so their backoff starts.
  const lease = new Lease({
    ...ctx,
    mayRequest: ctx.mayRenew,
    onRenew: (ids) => ctx.emit({ event: "lease_renewed", ids }),
    onLost: (ids) => ctx.emit({ event: "lease_lost", ids }),
    onError: (e) => ctx.emit({ event: "redis_error", error: e.message }),
  });
  // The exhausted ones too: their move waits for the page's handlers.
  for (const e of page.claimed) {
    lease.hold(e.id, claimSentAt);
  }
  try {
    const runs = await runAll(ctx, retry, lease);
    const dead = [...exhausted.map(exhaustedLetter(max)), ...runs.flatMap(permanentLetter)];
    const moved = dead.length === 0 ? [] : await moveToDeadLetter({ ...ctx, entries: dead });
    if (moved.length > 0) {
      ctx.emit({ event: "dead_lettered", ids: moved });
    }
    const succeeded = runs.filter((r) => r.outcome.ok).map((r) => r.entry.id);
    await ackAndSaveCursor(ctx, [...succeeded, ...page.deletedIds], page.cursor);
    return {
      retried: runs.length,
      acked: succeeded.length,
      failed: runs.filter((r) => !r.outcome.ok && !r.outcome.permanent).length,
      deadLettered: moved.length,
    };
  } finally {
    lease.stop();
  }
}

/** Runs the handler on each entry, at most `limiter.limit` at once. */
async function runAll(ctx: SettleContext, entries: ClaimedEntry[], lease: Lease): Promise<Run[]> {
  if (entries.length > 0) {
    ctx.emit({ event: "retried", ids: entries.map((e) => e.id) });
  }
  return Promise.all(
    entries.map((entry) =>
      ctx.limiter.run(async () => {
        const message = { ...entry, stream: ctx.stream, group: ctx.group, consumer: ctx.consumer };
        const outcome = await runHandler(ctx.handler, message, { signal: ctx.signal });
        if (!outcome.ok && !outcome.permanent) {
          lease.release(entry.id);
          ctx.emit({ event: "handler_failed", id: entry.id, error: outcome.error });
        }
        return { entry, outcome };
      }),
    ),
  );
}

const exhaustedLetter =
  (max: number) =>
  (entry: ClaimedEntry): DeadLetterInput => ({
    id: entry.id,
    fields: entry.fields,
    reason: "max_deliveries",
    error: `exceeded MAX_DELIVERIES=${max}: failed ${entry.deliveries - 1} deliveries`,
  });

function permanentLetter({ entry, outcome }: Run): DeadLetterInput[] {
  return !outcome.ok && outcome.permanent
    ? [{ id: entry.id, fields: entry.fields, reason: "permanent_error", error: outcome.error }]
    : [];
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
  const replies = await sendPipeline(pipe, ctx.budget, ids.length > 0 ? "XACK+SET" : "SET");
  for (const [i, reply] of replies.entries()) {
    replyResult(reply, i === 0 && ids.length > 0 ? "XACK" : "SET");
  }
}
