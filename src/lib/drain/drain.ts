/** @module The drain: bounded, non-blocking XREADGROUP batches through a handler, acks batched. */

import { Lease } from "../handling/lease";
import { Limiter } from "../handling/limiter";
import { runHandler } from "../handling/outcome";
import { RequestBudget } from "../redis/budget";
import { streamKeys } from "../redis/keys";
import { SCRIPT_MAX_REQUESTS } from "../redis/script";
import type { ReadEntry } from "../replies/index";
import { AckBuffer } from "./ack-buffer";
import { InFlight } from "./in-flight";
import {
  type DrainOptions,
  type DrainReport,
  type DrainStop,
  type ResolvedDrainOptions,
  resolveDrainOptions,
} from "./options";
import {
  alreadyDone,
  emptyReport,
  finish,
  flushDeadLetters,
  type Run,
  readBatch,
  stopOn,
  succeed,
} from "./run";

/** Requests kept back for the final flush: one ack pipeline, one dead-letter call. */
const RESERVE = 2;

/**
 * Drains up to `maxMessages` from the group in batches of `batchSize`: each handler
 * success is acked in the request that reads the next batch, failures stay pending for
 * the sweep, a `PermanentError` is dead-lettered at once. With no failures and no
 * idempotency guard, N messages cost ceil(N/batchSize) + 1 requests. A Redis failure
 * mid-run is reported (`stoppedBy: "error"`, `error`), never thrown: what was not acked
 * stays pending for the sweep.
 * @throws ConfigError when an option is invalid (before anything is read)
 * @see https://redis.io/commands/xreadgroup
 * @see https://redis.io/commands/xack
 */
export async function drain(options: DrainOptions): Promise<DrainReport> {
  const started = Date.now();
  const o = resolveDrainOptions(options);
  const emit = o.onEvent ?? (() => {});
  const budget = new RequestBudget(o.maxRequests);
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
    keys: streamKeys(o.stream, o.group, o.dlqStream),
    report: emptyReport(o.consumer),
    budget,
    acks: new AckBuffer(),
    lease,
    deadLetters: [],
    signal: abort.signal,
    emit,
  };
  const limiter = new Limiter(o.concurrency);
  const inFlight = new InFlight();
  const { report } = run;

  try {
    for (;;) {
      const stop = stopReason(run, started, inFlight.slowestBatchMs);
      if (stop) {
        report.stoppedBy = stop;
        break;
      }
      await flushDeadLetters(run);
      const readSentAt = Date.now();
      const entries = await readBatch(run, Math.min(o.batchSize, o.maxMessages - report.read));
      report.batches++;
      if (entries.length === 0) {
        report.stoppedBy = "empty";
        break;
      }
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
      await inFlight.readyForNextRead(limiter, abort.signal);
    }
  } catch (e) {
    stopOn(run, e);
  }

  await inFlight.settled();
  lease.stop();
  await finish(run);
  o.signal?.removeEventListener("abort", forward);
  report.requests = budget.used;
  report.peakConcurrency = limiter.peak;
  report.durationMs = Date.now() - started;
  return report;
}

/** Why the drain must not read again, or null while it may. */
function stopReason(run: Run, started: number, slowestBatchMs: number): DrainStop | null {
  const { o, report, budget } = run;
  if (run.signal.aborted) {
    return "aborted";
  }
  if (report.read >= o.maxMessages) {
    return "max";
  }
  const remaining = o.timeBudgetMs - (Date.now() - started);
  if (remaining <= 0 || (report.batches > 0 && remaining < slowestBatchMs)) {
    return "budget";
  }
  const perRead = o.idempotencyTtlS > 0 ? 2 : 1;
  if (!budget.fits(perRead, RESERVE)) {
    return "requests";
  }
  return null;
}

/** Runs one message's handler (or skips it) and books the outcome. */
async function handle(run: Run, inFlight: InFlight, entry: ReadEntry, done: boolean) {
  const { o, report } = run;
  if (entry.fields === null || done) {
    report.skipped++;
    succeed(run, entry.id, false);
    return;
  }
  const message = { ...entry, fields: entry.fields, ...base(o), deliveries: 1 };
  const outcome = await inFlight.timed(() =>
    runHandler(o.handler, message, { signal: run.signal }),
  );
  if (outcome.ok) {
    // Still held until its ack lands: a straggler in the same drain can keep the ack back
    // longer than MIN_IDLE_MS, and the sweep would run a finished message again.
    succeed(run, entry.id, o.idempotencyTtlS > 0);
  } else if (outcome.permanent) {
    // Held until moved, for the same reason: a sweep claiming it in between would make
    // this move skip it, and its own retry count a delivery towards max_deliveries.
    const { id, fields } = message;
    run.deadLetters.push({ id, fields, reason: "permanent_error", error: outcome.error });
  } else {
    // Let go at once so its backoff starts.
    run.lease.release(entry.id);
    report.failed++;
    run.emit({ event: "handler_failed", id: entry.id, error: outcome.error });
  }
}

const base = (o: ResolvedDrainOptions) => ({
  stream: o.stream,
  group: o.group,
  consumer: o.consumer,
});

/**
 * The drain's former name.
 * @deprecated use {@link drain}
 */
export const consumeBatch = drain;
