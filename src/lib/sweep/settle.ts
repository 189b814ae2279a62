/** @module Settles one claimed sweep page: dead-letter, retry through the handler, ack. */
import type { Redis } from "@upstash/redis";
import type { DeadLetterInput } from "../dead-letter/entry";
import { reportMove } from "../dead-letter/events";
import { moveToDeadLetter } from "../dead-letter/move";
import { emptyMoveResult } from "../dead-letter/replies";
import { Lease } from "../handling/lease";
import type { Limiter } from "../handling/limiter";
import type { MessageHandler } from "../handling/message";
import { toMessage } from "../handling/message";
import { type HandlerOutcome, runHandler } from "../handling/outcome";
import type { RequestBudget } from "../redis/budget";
import type { ScriptRedis } from "../redis/script";
import type { ClaimedEntry, ClaimPage } from "./claim";
import type { SweepEvent } from "./options";
import { ackAndSaveCursor } from "./page-writes";

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
  /** Hash of failed handler runs per id (`streamKeys().failures`). */
  failuresKey: string;
  /** The done mark's key of an id. */
  doneKey: (id: string) => string;
  /** TTL of the done marks; 0 = the idempotency guard is off. */
  idempotencyTtlS: number;
};

export type SettleOutcome = {
  /** Handler runs. */
  retried: number;
  acked: number;
  /** Handler runs that threw (not PermanentError): left pending with their grown counter. */
  failed: number;
  deadLettered: number;
  /** Marked done by the idempotency guard: acked without a run. */
  alreadyDone: number;
  /** Due for the dead-letter stream, left pending because it is full. */
  dlqFull: number;
};

type Run = { entry: ClaimedEntry; outcome: HandlerOutcome };

/**
 * Deliveries beyond MAX_DELIVERIES that may carry no recorded failure (a lost read reply,
 * an invocation ended mid-handler) before an entry counts as exhausted anyway: without this
 * bound, a message that ends every invocation running it would be retried forever.
 */
export function unrecordedDeliveryLimit(maxDeliveries: number): number {
  return 2 * maxDeliveries + 2;
}

/**
 * Exhausted means MAX_DELIVERIES handler runs have failed, as recorded in the failures hash
 * (not the delivery counter, which also counts reads whose reply was lost): a 4th must not
 * start. Failing that, more than {@link unrecordedDeliveryLimit} deliveries (the counter
 * includes the claim that just happened).
 */
export function isExhausted(
  entry: Pick<ClaimedEntry, "deliveries" | "failures">,
  maxDeliveries: number,
): boolean {
  return (
    entry.failures >= maxDeliveries || entry.deliveries - 1 > unrecordedDeliveryLimit(maxDeliveries)
  );
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
  // Marked done by the guard: a run succeeded whose ack was lost. Ack, never run or move.
  const done = page.claimed.filter((e) => e.done);
  const live = page.claimed.filter((e) => !e.done);
  const exhausted = live.filter((e) => isExhausted(e, max));
  const retry = live.filter((e) => !isExhausted(e, max));
  if (page.claimed.length > 0) {
    ctx.emit({ event: "claimed", ids: page.claimed.map((e) => e.id) });
  }
  // Until a success is acked, or a PermanentError moved, its entry must not look abandoned:
  // a page can outlast MIN_IDLE_MS, and another sweep would claim the entry, run it again
  // and count that run towards max_deliveries (this page's move then skips what it no longer
  // owns). A failure is held too, until the page's request records it: claimed before, it
  // would run once more than MAX_DELIVERIES allows. Its backoff starts when the page ends.
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
    const runs = await runAll(ctx, retry);
    const dead = [...exhausted.map(exhaustedLetter(max)), ...runs.flatMap(permanentLetter)];
    let moved = emptyMoveResult();
    let moveError: unknown;
    try {
      moved = dead.length === 0 ? moved : await moveToDeadLetter({ ...ctx, entries: dead });
      reportMove(ctx.emit, moved);
    } catch (e) {
      // The healthy entries of the page are still acked below; the dead stay pending.
      moveError = e;
    }
    if (done.length > 0) {
      ctx.emit({ event: "already_done", ids: done.map((e) => e.id) });
    }
    const succeeded = runs.filter((r) => r.outcome.ok).map((r) => r.entry);
    const failedRuns = runs.filter((r) => !r.outcome.ok && !r.outcome.permanent);
    const failed = failedRuns.map((r) => r.entry);
    const dueAt = dueTimes(failedRuns);
    await ackAndSaveCursor(ctx, {
      acks: [...succeeded, ...done].map((e) => e.id).concat(page.deletedIds),
      marks: succeeded.map((e) => e.id),
      // Deleted entries may carry a record too (the claim cannot tell): forgetting costs nothing.
      forget: [...succeeded, ...done]
        .filter((e) => e.failures > 0)
        .map((e) => e.id)
        .concat(page.deletedIds),
      failed,
      dueAt,
      cursor: page.cursor,
    });
    if (moveError !== undefined) {
      throw moveError;
    }
    return {
      retried: runs.length,
      acked: succeeded.length + done.length,
      failed: failed.length,
      deadLettered: moved.moved.length,
      alreadyDone: done.length,
      dlqFull: moved.full.length,
    };
  } finally {
    lease.stop();
  }
}

/** Runs the handler on each entry, at most `limiter.limit` at once. */
async function runAll(ctx: SettleContext, entries: ClaimedEntry[]): Promise<Run[]> {
  if (entries.length > 0) {
    ctx.emit({ event: "retried", ids: entries.map((e) => e.id) });
  }
  return Promise.all(
    entries.map((entry) =>
      ctx.limiter.run(async () => {
        const message = toMessage(entry, ctx, entry.deliveries);
        const outcome = await runHandler(ctx.handler, message, { signal: ctx.signal });
        if (!outcome.ok && !outcome.permanent) {
          ctx.emit({ event: "handler_failed", id: entry.id, error: outcome.error });
        }
        return { entry, outcome };
      }),
    ),
  );
}

/** When each failed run that asked for a delay may be delivered again, by id. */
function dueTimes(failed: Run[]): Record<string, number> {
  const now = Date.now();
  const due: Record<string, number> = {};
  for (const { entry, outcome } of failed) {
    if (!outcome.ok && outcome.retryDelayMs) {
      due[entry.id] = now + outcome.retryDelayMs;
    }
  }
  return due;
}

const exhaustedLetter =
  (max: number) =>
  (entry: ClaimedEntry): DeadLetterInput => ({
    id: entry.id,
    reason: "max_deliveries",
    error:
      entry.failures >= max
        ? `exceeded MAX_DELIVERIES=${max}: ${entry.failures} handler runs failed`
        : `delivered ${entry.deliveries - 1} times with ${entry.failures} failed handler runs recorded: runs that never finished (the invocation ended mid-handler, or read replies were lost)`,
  });

function permanentLetter({ entry, outcome }: Run): DeadLetterInput[] {
  return !outcome.ok && outcome.permanent
    ? [{ id: entry.id, reason: "permanent_error", error: outcome.error }]
    : [];
}
