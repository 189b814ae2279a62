/** @module The drain: bounded, non-blocking XREADGROUP batches through a handler, acks batched. */

import { type DeadLetterInput, moveToDeadLetter } from "../dead-letter/dead-letter";
import { errorMessage, StreamsWorkerError } from "../errors";
import { ensureGroup, forgetGroup, isNoGroupError } from "../group/ensure";
import { LEASE_MAX_REQUESTS, Lease } from "../handling/lease";
import { Limiter } from "../handling/limiter";
import type { StreamMessage } from "../handling/message";
import { counted, requestCounter } from "../redis/budget";
import { streamKeys } from "../redis/keys";
import type { ReadEntry } from "../replies/index";
import { type ConsumeOptions, resolveDrainOptions } from "./options";
import { roundTrip } from "./round-trip";

export type { ConsumeOptions, ConsumeRedis, DrainEvent } from "./options";

export type DrainReport = {
  consumer: string;
  read: number;
  acked: number;
  failed: number;
  deadLettered: number;
  /** Already done (idempotency guard) or deleted before it could be handled: acked unhandled. */
  skipped: number;
  batches: number;
  requests: number;
  durationMs: number;
  stoppedBy: "empty" | "max" | "budget" | "aborted" | "requests" | "error";
  /** Most handler calls seen in flight at once. */
  peakConcurrency: number;
  /** Set when a Redis request failed; what was not acked stays pending for the sweep. */
  error?: { code: string; message: string };
};

/** A straggler may hold the next read this long at least; it never holds it indefinitely. */
const MIN_GRACE_MS = 10;
/** Requests kept back for the final flush: one ack pipeline, one dead-letter call. */
const RESERVE = 2;

/**
 * Drains up to `maxMessages` from the group in batches of `batchSize`: each handler
 * success is acked in the request that reads the next batch, failures stay pending for
 * the sweep, `PermanentError` dead-letters at once. With no failures and no idempotency,
 * N messages cost ceil(N/batchSize) + 1 requests.
 * @see https://redis.io/commands/xreadgroup
 * @see https://redis.io/commands/xack
 */
export async function consumeBatch(options: ConsumeOptions): Promise<DrainReport> {
  const started = Date.now();
  const o = resolveDrainOptions(options);
  const keys = streamKeys(o.stream, o.group, o.dlqStream);
  const counter = requestCounter();
  const limiter = new Limiter(o.concurrency);
  const emit = o.onEvent ?? (() => {});
  const abort = new AbortController();
  const forward = () => abort.abort(o.signal?.reason);
  o.signal?.addEventListener("abort", forward, { once: true });
  const lease = new Lease({
    ...o,
    counter,
    mayRequest: () => counter.count + LEASE_MAX_REQUESTS + RESERVE <= o.maxRequests,
    onRenew: (ids) => emit({ event: "lease_renewed", ids }),
    onLost: (ids) => emit({ event: "lease_lost", ids }),
    onError: (e) => emit({ event: "redis_error", error: e.message }),
  });
  const report: DrainReport = {
    consumer: o.consumer,
    ...{ read: 0, acked: 0, failed: 0, deadLettered: 0, skipped: 0, batches: 0, requests: 0 },
    durationMs: 0,
    stoppedBy: "empty",
    peakConcurrency: 0,
  };
  let toAck: string[] = [];
  let toMark: string[] = [];
  const toDeadLetter: DeadLetterInput[] = [];
  const running = new Set<Promise<void>>();
  let slowestBatchMs = 0;
  let handlerMsTotal = 0;
  let handlerCount = 0;

  const perRead = () => 1 + (o.idempotencyTtlS > 0 ? 1 : 0);

  async function handle(entry: ReadEntry, done: boolean): Promise<void> {
    if (entry.fields === null || done) {
      report.skipped++;
      succeed(entry.id, false);
      return;
    }
    const message: StreamMessage = { ...entry, fields: entry.fields, ...base, deliveries: 1 };
    const t0 = Date.now();
    try {
      await o.handler(message, { signal: abort.signal });
      // Still held until its ack lands: a straggler in the same drain can keep the ack back
      // longer than MIN_IDLE_MS, and the sweep would run a finished message again.
      succeed(entry.id, o.idempotencyTtlS > 0);
    } catch (e) {
      if (isPermanent(e)) {
        // Held until moved, for the same reason: a sweep claiming it in between would make
        // this move skip it, and its own retry count a delivery towards max_deliveries.
        toDeadLetter.push({
          id: entry.id,
          fields: entry.fields,
          reason: "permanent_error",
          error: errorMessage(e),
        });
      } else {
        // Let go at once so its backoff starts.
        lease.release(entry.id);
        report.failed++;
        emit({ event: "handler_failed", id: entry.id, error: errorMessage(e) });
      }
    } finally {
      handlerMsTotal += Date.now() - t0;
      handlerCount++;
    }
  }
  const base = { stream: o.stream, group: o.group, consumer: o.consumer };

  function succeed(id: string, mark: boolean): void {
    if (o.noAck) {
      report.acked++;
      return;
    }
    toAck.push(id);
    if (mark) {
      toMark.push(keys.done(id));
    }
  }

  function track(p: Promise<void>): Promise<void> {
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  }

  /** Waits until every read message has started, then briefly for the ones still running. */
  async function readyForNextRead(): Promise<void> {
    while (limiter.queued > 0 && !abort.signal.aborted) {
      await Promise.race(running);
    }
    if (handlerCount === 0 && running.size > 0) {
      // Nothing to judge "slow" by yet: the first completion sets the yardstick.
      await Promise.race(running);
    }
    const mean = handlerCount > 0 ? handlerMsTotal / handlerCount : 0;
    const grace = Math.max(MIN_GRACE_MS, 2 * mean);
    await Promise.race([Promise.all(running), sleep(grace)]);
  }

  /** Sends acks (and, when `count` is set, reads). Failed acks go back on the list. */
  async function trip(count?: number): Promise<ReadEntry[]> {
    const ack = toAck;
    const done = toMark;
    toAck = [];
    toMark = [];
    const read = count === undefined ? undefined : { count, noAck: o.noAck };
    try {
      const result = await roundTrip({
        ...o,
        ack,
        done,
        doneTtlS: o.idempotencyTtlS,
        read,
        counter,
      });
      if (result.ackError) {
        toAck.push(...ack);
        emit({ event: "ack_failed", ids: ack, error: result.ackError });
      } else {
        report.acked += ack.length;
        for (const id of ack) {
          lease.release(id);
        }
      }
      return result.entries;
    } catch (e) {
      // Unknown whether the acks applied; acking twice is harmless, dropping them is not.
      toAck.push(...ack);
      toMark.push(...done);
      throw e;
    }
  }

  async function readBatch(count: number): Promise<ReadEntry[]> {
    try {
      return await trip(count);
    } catch (e) {
      if (!isNoGroupError(e)) {
        throw e;
      }
      // First run on this stream, or the group was destroyed: create it once and retry.
      forgetGroup(o.stream, o.group);
      await ensureGroup({ ...o, startId: o.groupStartId, force: true, counter });
      emit({ event: "group_created", stream: o.stream, group: o.group });
      return trip(count);
    }
  }

  async function alreadyDone(entries: ReadEntry[]): Promise<boolean[]> {
    if (o.idempotencyTtlS <= 0 || entries.length === 0) {
      return entries.map(() => false);
    }
    const marks = await counted(
      counter,
      o.redis.mget<(string | null)[]>(...entries.map((e) => keys.done(e.id))),
    );
    return entries.map((_, i) => marks[i] !== null && marks[i] !== undefined);
  }

  async function flushDeadLetters(): Promise<void> {
    if (toDeadLetter.length === 0) {
      return;
    }
    const batch = toDeadLetter.splice(0, toDeadLetter.length);
    try {
      const moved = await moveToDeadLetter({
        redis: o.redis,
        stream: o.stream,
        group: o.group,
        consumer: o.noAck ? "" : o.consumer,
        dlqStream: keys.dlq,
        dlqMaxLen: o.dlqMaxLen,
        entries: batch,
        counter,
      });
      report.deadLettered += moved.length;
      emit({ event: "dead_lettered", ids: moved });
    } finally {
      // Moved, or (the move failed) left pending for the sweep: this drain is done with them.
      for (const entry of batch) {
        lease.release(entry.id);
      }
    }
  }

  try {
    for (;;) {
      const stop = stopReason();
      if (stop) {
        report.stoppedBy = stop;
        break;
      }
      if (toDeadLetter.length > 0) {
        await flushDeadLetters();
      }
      const batchStarted = Date.now();
      const entries = await readBatch(Math.min(o.batchSize, o.maxMessages - report.read));
      report.batches++;
      if (entries.length === 0) {
        report.stoppedBy = "empty";
        break;
      }
      report.read += entries.length;
      if (!o.noAck) {
        // From the read on, queued ones included: a long queue must not look abandoned either.
        for (const entry of entries) {
          lease.hold(entry.id, batchStarted);
        }
      }
      const done = await alreadyDone(entries);
      const tasks = entries.map((entry, i) =>
        track(limiter.run(() => handle(entry, done[i] ?? false))),
      );
      void Promise.all(tasks).then(() => {
        slowestBatchMs = Math.max(slowestBatchMs, Date.now() - batchStarted);
      });
      await readyForNextRead();
    }
  } catch (e) {
    report.stoppedBy = "error";
    report.error = toReportError(e);
    emit({ event: "redis_error", error: report.error.message });
  }

  await Promise.all(running);
  lease.stop();
  try {
    if (counter.count < o.maxRequests) {
      await flushDeadLetters();
    }
    if (counter.count < o.maxRequests) {
      await trip();
    }
  } catch (e) {
    report.error ??= toReportError(e);
    emit({ event: "redis_error", error: errorMessage(e) });
  }
  o.signal?.removeEventListener("abort", forward);
  report.requests = counter.count;
  report.peakConcurrency = limiter.peak;
  report.durationMs = Date.now() - started;
  return report;

  function stopReason(): DrainReport["stoppedBy"] | null {
    if (abort.signal.aborted) {
      return "aborted";
    }
    if (report.read >= o.maxMessages) {
      return "max";
    }
    const remaining = o.timeBudgetMs - (Date.now() - started);
    if (remaining <= 0 || (report.batches > 0 && remaining < slowestBatchMs)) {
      return "budget";
    }
    if (counter.count + perRead() + RESERVE > o.maxRequests) {
      return "requests";
    }
    return null;
  }
}

/** PermanentError, also from another copy of this package bundled into the user's Worker. */
function isPermanent(e: unknown): boolean {
  return e instanceof StreamsWorkerError
    ? e.code === "PERMANENT"
    : (e as { code?: unknown })?.code === "PERMANENT";
}

function toReportError(e: unknown): { code: string; message: string } {
  const code = e instanceof StreamsWorkerError ? e.code : "REDIS_ERROR";
  return { code, message: errorMessage(e) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
