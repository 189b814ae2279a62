/** @module The drain: bounded, non-blocking XREADGROUP batches through a handler, acks batched. */

import { DEFAULTS } from "../config/defaults";
import { MAX_CONSUMER_NAME_LENGTH } from "../group/consumer-name";
import { Lease } from "../handling/lease";
import { Limiter } from "../handling/limiter";
import { toMessage } from "../handling/message";
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
  trip,
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
      const count = await roomToRead(
        run,
        inFlight,
        Math.min(o.batchSize, o.maxMessages - report.read),
      );
      const readSentAt = Date.now();
      const entries = await readBatch(run, count);
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

/**
 * COUNT for the next read, within what the consumer may still hold: Upstash refuses a read
 * that would take one consumer past its PEL limit. Short of room, the drain first lets its
 * handlers finish and sends their acks; if failures still fill the PEL, it reads on under a
 * fresh consumer name (the failed entries stay with the old one for the sweep).
 */
async function roomToRead(run: Run, inFlight: InFlight, wanted: number): Promise<number> {
  const room = () => DEFAULTS.consumerPelLimit - run.pending.size;
  if (run.o.noAck || room() >= wanted) {
    return wanted;
  }
  await inFlight.settled();
  await flushDeadLetters(run);
  if (!run.acks.empty) {
    await trip(run);
  }
  if (room() < wanted) {
    rotateConsumer(run);
  }
  return Math.min(wanted, room());
}

function rotateConsumer(run: Run): void {
  const from = run.consumer;
  run.rotations++;
  const suffix = `-${run.rotations + 1}`;
  run.consumer = `${run.o.consumer.slice(0, MAX_CONSUMER_NAME_LENGTH - suffix.length)}${suffix}`;
  run.lease.moveTo(run.consumer);
  run.emit({ event: "consumer_rotated", from, to: run.consumer, pending: run.pending.size });
  run.pending = new Set();
  run.report.consumers = [...(run.report.consumers ?? [run.o.consumer]), run.consumer];
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
  const message = toMessage(entry, { ...o, consumer: run.consumer }, 1);
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
    run.deadLetters.push({ id: entry.id, reason: "permanent_error", error: outcome.error });
  } else if (o.noAck) {
    // Read with NOACK, it is pending nowhere: nothing could retry it, so it is kept as a
    // dead letter rather than lost.
    run.deadLetters.push({ id: entry.id, reason: "noack_failed", error: outcome.error });
    report.failed++;
    run.emit({ event: "handler_failed", id: entry.id, error: outcome.error });
  } else {
    // Held until its failure is recorded (the next round trip), so a sweep cannot claim it
    // and run it before that run counts towards MAX_DELIVERIES; its backoff starts then.
    run.acks.fail(entry.id);
    report.failed++;
    run.emit({ event: "handler_failed", id: entry.id, error: outcome.error });
  }
}

/**
 * The drain's former name.
 * @deprecated use {@link drain}
 */
export const consumeBatch = drain;
