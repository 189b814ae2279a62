/** @module One drain run's state, and the Redis requests it sends: acks with reads, marks, moves. */
import { DEFAULTS } from "../config/defaults";
import type { DeadLetterInput } from "../dead-letter/entry";
import { reportMove } from "../dead-letter/events";
import { moveToDeadLetter } from "../dead-letter/move";
import { stopFor, toReportError } from "../errors";
import { ensureGroup, isNoGroupError } from "../group/ensure";
import type { Lease } from "../handling/lease";
import type { RequestBudget } from "../redis/budget";
import { type Command, sendCommand, sendPipeline } from "../redis/calls";
import type { streamKeys } from "../redis/keys";
import type { ReadEntry } from "../replies/index";
import { parseMarks } from "../replies/index";
import type { AckBuffer } from "./ack-buffer";
import type { DrainEvent, DrainReport, ResolvedDrainOptions } from "./options";
import { afterPromotion } from "./promotion";
import { roundTrip } from "./round-trip";

/** Everything one drain run shares between its steps. */
export type Run = {
  o: ResolvedDrainOptions;
  /** The consumer reading now: `o.consumer`, or its successor after a rotation. */
  consumer: string;
  /**
   * Ids pending for `consumer` as far as this run knows: read and not yet acked or moved.
   * Upstash refuses a read that would take one consumer past its PEL limit.
   */
  pending: Set<string>;
  /** Times the run moved on to a fresh consumer name. */
  rotations: number;
  /**
   * Whether the group's hash knows the group exists: `due` after the first read that
   * returned entries (only after a read, or a missing group would look destroyed rather
   * than new; with entries, so the note rides on a request the drain sends anyway), `done`
   * once noted.
   */
  groupSeen: "no" | "due" | "done";
  keys: ReturnType<typeof streamKeys>;
  report: DrainReport;
  budget: RequestBudget;
  acks: AckBuffer;
  lease: Lease;
  /** PermanentErrors waiting for their move, held by the lease until then. */
  deadLetters: DeadLetterInput[];
  /** Set when `onFirstEntries` said no: reading stops as at `maxMessages`. */
  cutShort: boolean;
  /**
   * With `delayed`: when the next read moves the due delayed messages in first (ms; 0 at
   * the start, so the first read does).
   */
  nextPromoteAt: number;
  signal: AbortSignal;
  emit: (event: DrainEvent) => void;
};

/** Books a success: its ack (and done mark) rides on the next request. */
export function succeed(run: Run, id: string, mark: boolean): void {
  if (run.o.noAck) {
    run.report.acked++;
    return;
  }
  run.acks.add(id, mark ? run.keys.done(id) : undefined);
}

/** Sends the buffered acks, and reads `count` more when given. Unsent acks go back. */
export async function trip(run: Run, count?: number): Promise<ReadEntry[]> {
  const { o, acks, report } = run;
  const batch = acks.take();
  const read = count === undefined ? undefined : { count, noAck: o.noAck };
  const noteSeen = run.groupSeen === "due";
  const now = Date.now();
  const promote = read && o.delayed && now >= run.nextPromoteAt;
  try {
    const result = await roundTrip({
      ...o,
      consumer: run.consumer,
      failuresKey: run.keys.failures,
      ...(noteSeen ? { seenKey: run.keys.groupStart } : {}),
      acks: batch,
      doneTtlS: o.idempotencyTtlS,
      read,
      ...(promote ? { promote: { now, limit: DEFAULTS.promoteBatch } } : {}),
      budget: run.budget,
    });
    if (promote) {
      afterPromotion(run, now, result.promoted);
    }
    if (result.ackError) {
      acks.restore({ ids: batch.ids });
      run.emit({ event: "ack_failed", ids: batch.ids, error: result.ackError });
    } else {
      report.acked += batch.ids.length;
      for (const id of batch.ids) {
        run.lease.release(id);
        run.pending.delete(id);
      }
    }
    // Recorded (or refused with the acks: a missing group); either way their backoff starts.
    for (const id of batch.failed) {
      run.lease.release(id);
    }
    if (read && !read.noAck) {
      for (const entry of result.entries) {
        run.pending.add(entry.id);
      }
    }
    if (noteSeen) {
      run.groupSeen = "done";
    } else if (result.entries.length > 0 && run.groupSeen === "no") {
      run.groupSeen = "due";
    }
    return result.entries;
  } catch (e) {
    // Unknown whether the acks applied; acking twice is harmless, dropping them is not.
    acks.restore(batch);
    await writeMarks(run, batch.marks);
    throw e;
  }
}

/**
 * The idempotency marks of a request that failed, sent once more on their own: a success
 * must stay known even when its ack is lost with the invocation (the sweep checks the
 * marks before it runs or dead-letters a message). Best effort; they stay buffered too.
 */
async function writeMarks(run: Run, marks: string[]): Promise<void> {
  if (marks.length === 0 || !run.budget.fits(1, 1)) {
    return;
  }
  const p = run.o.redis.pipeline();
  for (const key of marks) {
    p.set(key, "1", { ex: run.o.idempotencyTtlS });
  }
  try {
    await sendPipeline(p, run.budget, "SET");
  } catch (e) {
    run.emit({ event: "redis_error", error: toReportError(e).message });
  }
}

/** A read that creates the group first when Redis says it does not exist. */
export async function readBatch(run: Run, count: number): Promise<ReadEntry[]> {
  try {
    return await trip(run, count);
  } catch (e) {
    if (!isNoGroupError(e)) {
      throw e;
    }
    // First run on this stream, or the group was destroyed: create it once and retry.
    const { o } = run;
    const made = await ensureGroup({
      ...o,
      startId: o.groupStartId,
      force: true,
      budget: run.budget,
    });
    if (made.created) {
      run.groupSeen = "done";
      const { startId, startedAfter } = made;
      const event = made.recreated ? "group_recreated" : "group_created";
      run.emit({ event, stream: o.stream, group: o.group, startId, startedAfter });
    }
    return trip(run, count);
  }
}

/**
 * The idempotency guard: which entries a previous run already finished. A failed lookup is
 * tried once more; failing again, it ends the drain (the batch stays pending, and a read
 * that ran no handler is no failed run: the sweep's count is of failures, not reads).
 */
export async function alreadyDone(run: Run, entries: ReadEntry[]): Promise<boolean[]> {
  if (run.o.idempotencyTtlS <= 0 || entries.length === 0) {
    return entries.map(() => false);
  }
  const command: Command = ["MGET", ...entries.map((e) => run.keys.done(e.id))];
  let marks: unknown;
  try {
    marks = await sendCommand(run.o.redis, run.budget, command);
  } catch (e) {
    run.emit({ event: "redis_error", error: toReportError(e).message });
    marks = await sendCommand(run.o.redis, run.budget, command);
  }
  return parseMarks(marks, entries.length);
}

export async function flushDeadLetters(run: Run): Promise<void> {
  if (run.deadLetters.length === 0) {
    return;
  }
  const { o } = run;
  const batch = run.deadLetters.splice(0, run.deadLetters.length);
  try {
    const moved = await moveToDeadLetter({
      ...o,
      consumer: o.noAck ? "" : run.consumer,
      dlqStream: run.keys.dlq,
      entries: batch,
      budget: run.budget,
      // The final ack flush must still fit after the move.
      reserve: 1,
    });
    run.report.deadLettered += moved.moved.length;
    run.report.skipped += moved.gone.length;
    for (const id of [...moved.moved, ...moved.gone, ...moved.notPending]) {
      run.pending.delete(id);
    }
    reportMove(run.emit, moved);
  } finally {
    // Moved, or (the move failed) left pending for the sweep: this drain is done with them.
    for (const entry of batch) {
      run.lease.release(entry.id);
    }
  }
}

/** After the last handler: the pending dead-letter move and acks, while requests remain. */
export async function finish(run: Run): Promise<void> {
  try {
    if (run.budget.fits(1)) {
      await flushDeadLetters(run);
    }
    if (run.budget.fits(1)) {
      await trip(run);
    } else if (run.acks.waiting.length > 0) {
      // No request left for them: handled, yet pending; the sweep will run them again.
      run.emit({ event: "acks_left_pending", ids: [...run.acks.waiting] });
    }
  } catch (e) {
    const stop = stopFor(e);
    if (stop.stoppedBy === "error") {
      run.report.error ??= stop.error;
      run.emit({ event: "redis_error", error: stop.error.message });
    }
  }
}

/** Ends the read loop on a thrown error: a used-up budget is a limit, anything else a failure. */
export function stopOn(run: Run, e: unknown): void {
  const stop = stopFor(e);
  run.report.stoppedBy = stop.stoppedBy;
  if (stop.stoppedBy === "error") {
    run.report.error = stop.error;
    run.emit({ event: "redis_error", error: stop.error.message });
  }
}
