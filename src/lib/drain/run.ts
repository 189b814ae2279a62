/** @module One drain run's state, and the Redis requests it sends: acks with reads, marks, moves. */
import type { DeadLetterInput } from "../dead-letter/entry";
import { moveToDeadLetter } from "../dead-letter/move";
import { stopFor } from "../errors";
import { ensureGroup, isNoGroupError } from "../group/ensure";
import type { Lease } from "../handling/lease";
import type { RequestBudget } from "../redis/budget";
import { sendCommand } from "../redis/calls";
import type { streamKeys } from "../redis/keys";
import type { ReadEntry } from "../replies/index";
import type { AckBuffer } from "./ack-buffer";
import type { DrainEvent, DrainReport, ResolvedDrainOptions } from "./options";
import { roundTrip } from "./round-trip";

/** Everything one drain run shares between its steps. */
export type Run = {
  o: ResolvedDrainOptions;
  keys: ReturnType<typeof streamKeys>;
  report: DrainReport;
  budget: RequestBudget;
  acks: AckBuffer;
  lease: Lease;
  /** PermanentErrors waiting for their move, held by the lease until then. */
  deadLetters: DeadLetterInput[];
  signal: AbortSignal;
  emit: (event: DrainEvent) => void;
};

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
  try {
    const result = await roundTrip({
      ...o,
      acks: batch,
      doneTtlS: o.idempotencyTtlS,
      read,
      budget: run.budget,
    });
    if (result.ackError) {
      acks.restore({ ids: batch.ids });
      run.emit({ event: "ack_failed", ids: batch.ids, error: result.ackError });
    } else {
      report.acked += batch.ids.length;
      for (const id of batch.ids) {
        run.lease.release(id);
      }
    }
    return result.entries;
  } catch (e) {
    // Unknown whether the acks applied; acking twice is harmless, dropping them is not.
    acks.restore(batch);
    throw e;
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
      const { startId, startedAfter } = made;
      run.emit({ event: "group_created", stream: o.stream, group: o.group, startId, startedAfter });
    }
    return trip(run, count);
  }
}

/** The idempotency guard: which entries a previous run already finished. */
export async function alreadyDone(run: Run, entries: ReadEntry[]): Promise<boolean[]> {
  if (run.o.idempotencyTtlS <= 0 || entries.length === 0) {
    return entries.map(() => false);
  }
  const keys = entries.map((e) => run.keys.done(e.id));
  const marks = await sendCommand(run.o.redis, run.budget, ["MGET", ...keys]);
  return entries.map((_, i) => Array.isArray(marks) && marks[i] !== null && marks[i] !== undefined);
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
      consumer: o.noAck ? "" : o.consumer,
      dlqStream: run.keys.dlq,
      entries: batch,
      budget: run.budget,
      // The final ack flush must still fit after the move.
      reserve: 1,
    });
    run.report.deadLettered += moved.length;
    run.emit({ event: "dead_lettered", ids: moved });
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

export function emptyReport(consumer: string): DrainReport {
  const counts = { read: 0, acked: 0, failed: 0, deadLettered: 0, skipped: 0, batches: 0 };
  return {
    consumer,
    ...counts,
    requests: 0,
    durationMs: 0,
    stoppedBy: "empty",
    peakConcurrency: 0,
  };
}
