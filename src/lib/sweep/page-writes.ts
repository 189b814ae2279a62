/** @module The one request that settles a sweep page: acks, done marks, failure records, cursor. */
import { toReportError } from "../errors";
import { failureValue } from "../handling/failure-record";
import { replyResult, sendPipeline } from "../redis/calls";
import type { ClaimedEntry } from "./claim";
import type { SettleContext } from "./settle";

/** What one page writes when it is settled. */
export type PageWrites = {
  acks: string[];
  /** Successes to mark done (idempotency guard on). */
  marks: string[];
  /** Acked ids whose failure records go. */
  forget: string[];
  /** Runs that failed: their records grow by one. */
  failed: ClaimedEntry[];
  /** Of those, the ones whose handler asked for a delay: not to be retried before this time. */
  dueAt?: Record<string, number>;
  cursor: string;
};

/**
 * One request for all: the cursor is only advanced past a page once the page is settled.
 * A failed request is sent once more (every write in it is idempotent: the failure counts
 * are set, not incremented); failing again, the error ends the run and the page's entries
 * stay pending for the next sweep.
 * @see https://redis.io/commands/xack
 */
export async function ackAndSaveCursor(ctx: SettleContext, w: PageWrites): Promise<void> {
  const send = async () => {
    const pipe = ctx.redis.pipeline();
    const names: string[] = [];
    const queue = (name: string) => names.push(name);
    if (w.acks.length > 0) {
      pipe.xack(ctx.stream, ctx.group, w.acks);
      queue("XACK");
    }
    if (ctx.idempotencyTtlS > 0) {
      for (const id of w.marks) {
        pipe.set(ctx.doneKey(id), "1", { ex: ctx.idempotencyTtlS });
        queue("SET");
      }
    }
    if (w.forget.length > 0) {
      pipe.hdel(ctx.failuresKey, ...w.forget);
      queue("HDEL");
    }
    if (w.failed.length > 0) {
      const due = w.dueAt ?? {};
      const records = w.failed.map((e) => [e.id, failureValue(e.failures + 1, due[e.id])]);
      pipe.hset(ctx.failuresKey, Object.fromEntries(records));
      queue("HSET");
    }
    pipe.set(ctx.cursorKey, w.cursor);
    queue("SET");
    const replies = await sendPipeline(pipe, ctx.budget, names.join("+"));
    for (const [i, reply] of replies.entries()) {
      replyResult(reply, names[i] ?? "SET");
    }
  };
  try {
    await send();
  } catch (e) {
    if (!ctx.budget.fits(1)) {
      throw e;
    }
    ctx.emit({ event: "ack_retried", ids: w.acks, error: toReportError(e).message });
    await send();
  }
}
