/** @module The drain: bounded, non-blocking XREADGROUP batches through a handler, acks batched. */

import { Lease } from "../handling/lease";
import { Limiter } from "../handling/limiter";
import { RequestBudget } from "../redis/budget";
import { streamKeys } from "../redis/keys";
import { SCRIPT_MAX_REQUESTS } from "../redis/script";
import type { ReadEntry } from "../replies/index";
import { AckBuffer } from "./ack-buffer";
import { handle } from "./handle";
import { InFlight } from "./in-flight";
import {
  type DrainBatch,
  type DrainOptions,
  type DrainReport,
  type DrainStop,
  resolveDrainOptions,
} from "./options";
import { Poller, pause } from "./poll";
import { emptyReport } from "./report";
import { roomToRead } from "./room";
import { alreadyDone, finish, flushDeadLetters, type Run, readBatch, stopOn, trip } from "./run";

/** Requests kept back for the final flush: one ack pipeline, one dead-letter call. */
const RESERVE = 2;

/**
 * Drains up to `maxMessages` from the group in batches of `batchSize`: each handler
 * success is acked in the request that reads the next batch, failures stay pending for
 * the sweep, a `PermanentError` is dead-lettered at once. With no failures and no
 * idempotency guard, N messages cost ceil(N/batchSize) + 1 requests. With `poll`, an empty
 * read is followed by a wait and another read while messages keep arriving (each read one
 * request). A Redis failure mid-run is reported (`stoppedBy: "error"`, `error`), never
 * thrown: what was not acked stays pending for the sweep.
 * @throws ConfigError when an option is invalid (before anything is read)
 * @see https://redis.io/commands/xreadgroup
 * @see https://redis.io/commands/xack
 */
export async function drain(options: DrainOptions): Promise<DrainReport> {
  const started = Date.now();
  const o = resolveDrainOptions(options);
  const emit = o.onEvent ?? (() => {});
  const budget = o.budget ?? new RequestBudget(o.maxRequests);
  const usedBefore = budget.used;
  const abort = new AbortController();
  const forward = () => abort.abort(o.signal?.reason);
  o.signal?.addEventListener("abort", forward, { once: true });
  const lease = new Lease({
    ...o,
    budget,
    mayRequest: () => budget.fits(SCRIPT_MAX_REQUESTS, RESERVE),
    onRenew: (ids) => emit({ event: "lease_renewed", ids }),
    onLost: (ids) => emit({ event: "lease_lost", ids }),
    onError: (e) => emit({ event: "redis_error", error: e.message }),
  });
  const run: Run = {
    o,
    consumer: o.consumer,
    pending: new Set(),
    rotations: 0,
    groupSeen: "no",
    keys: streamKeys(o.stream, o.group, o.dlqStream),
    report: emptyReport(o.consumer),
    budget,
    acks: new AckBuffer(),
    lease,
    deadLetters: [],
    cutShort: false,
    nextPromoteAt: 0,
    signal: abort.signal,
    emit,
  };
  const limiter = new Limiter(o.concurrency);
  const inFlight = new InFlight();
  const poller = new Poller(o.poll);
  let onFirstEntries = o.onFirstEntries;
  const { report } = run;

  try {
    for (;;) {
      const stop = stopReason(run, started, inFlight.slowestBatchMs);
      if (stop) {
        report.stoppedBy = stop;
        break;
      }
      await flushDeadLetters(run);
      const count = await roomToRead(
        run,
        inFlight,
        Math.min(o.batchSize, o.maxMessages - report.read),
      );
      const readSentAt = Date.now();
      const entries = await readBatch(run, count);
      report.batches++;
      if (entries.length === 0) {
        report.emptyPolls++;
        const end = await afterEmptyRead(run, poller, started, inFlight);
        if (end) {
          report.stoppedBy = end;
          break;
        }
        continue;
      }
      const gather = poller.entries(Date.now(), entries.length, count);
      report.read += entries.length;
      if (!o.noAck) {
        // From the read on, queued ones included: a long queue must not look abandoned either.
        for (const entry of entries) {
          lease.hold(entry.id, readSentAt);
        }
      }
      const done = await alreadyDone(run, entries);
      const tasks = entries.map((entry, i) =>
        limiter.run(() => handle(run, inFlight, entry, done[i] ?? false)),
      );
      inFlight.addBatch(tasks, readSentAt);
      o.onBatch?.(batchOf(run, entries, count, started));
      // Asked while the batch's handlers run: only the next read waits for the answer.
      const asked = onFirstEntries?.().then((goOn) => {
        run.cutShort = !goOn;
      });
      onFirstEntries = undefined;
      await Promise.all([inFlight.readyForNextRead(limiter, abort.signal), asked]);
      await gatherPause(run, started, gather);
    }
  } catch (e) {
    stopOn(run, e);
  }

  await inFlight.settled();
  lease.stop();
  await finish(run);
  o.signal?.removeEventListener("abort", forward);
  report.requests = budget.used - usedBefore;
  report.peakConcurrency = limiter.peak;
  report.durationMs = Date.now() - started;
  return report;
}

/**
 * After an empty read: why the drain stops, or null once the wait before the next read is
 * over. Acks of handlers that finished since the read are sent before the wait (they must
 * not wait with the drain); those finishing during it ride on the next read. A wait that
 * would leave too little of the time budget, or a next read that would not fit in the
 * requests left, stops the drain now rather than after the wait.
 */
async function afterEmptyRead(
  run: Run,
  poller: Poller,
  started: number,
  inFlight: InFlight,
): Promise<DrainStop | null> {
  const step = poller.afterEmpty(Date.now());
  if ("stop" in step) {
    return step.stop;
  }
  const flush = !run.acks.empty;
  const ahead = { waitMs: step.waitMs, requests: flush ? 1 : 0 };
  const stop = stopReason(run, started, inFlight.slowestBatchMs, ahead);
  if (stop) {
    return stop;
  }
  if (flush) {
    await trip(run);
  }
  await pause(step.waitMs, run.signal);
  return null;
}

/** Waits `ms` before the next read (cut to the time budget left), waking on abort. */
async function gatherPause(run: Run, started: number, ms: number): Promise<void> {
  const left = run.o.timeBudgetMs - (Date.now() - started);
  if (ms > 0 && left > 0) {
    await pause(Math.min(ms, left), run.signal);
  }
}

function batchOf(run: Run, entries: ReadEntry[], count: number, started: number): DrainBatch {
  const elapsedMs = Date.now() - started;
  return {
    read: entries.length,
    count,
    newestId: entries[entries.length - 1]?.id ?? null,
    elapsedMs,
    remainingMs: Math.max(0, run.o.timeBudgetMs - elapsedMs),
    readSoFar: run.report.read,
  };
}

/**
 * Why the drain must not read again, or null while it may; with `ahead`, why it must not
 * after first waiting `waitMs` and sending `requests` more.
 */
function stopReason(
  run: Run,
  started: number,
  slowestBatchMs: number,
  ahead = { waitMs: 0, requests: 0 },
): DrainStop | null {
  const { o, report, budget } = run;
  if (run.signal.aborted) {
    return "aborted";
  }
  if (report.read >= o.maxMessages || run.cutShort) {
    return "max";
  }
  const remaining = o.timeBudgetMs - (Date.now() - started) - ahead.waitMs;
  if (remaining <= 0 || (report.batches > 0 && remaining < slowestBatchMs)) {
    return "budget";
  }
  const perRead = o.idempotencyTtlS > 0 ? 2 : 1;
  if (!budget.fits(perRead + ahead.requests, RESERVE)) {
    return "requests";
  }
  return null;
}

/**
 * The drain's former name.
 * @deprecated use {@link drain}
 */
export const consumeBatch = drain;
