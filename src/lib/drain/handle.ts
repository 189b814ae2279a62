/** @module One message the drain read: its handler run (or skip), and the outcome it books. */
import { toMessage } from "../handling/message";
import { runHandler } from "../handling/outcome";
import type { ReadEntry } from "../replies/index";
import type { InFlight } from "./in-flight";
import { type Run, succeed } from "./run";

/** Runs one message's handler (or skips it) and books the outcome. */
export async function handle(
  run: Run,
  inFlight: InFlight,
  entry: ReadEntry,
  done: boolean,
): Promise<void> {
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
    const due = outcome.retryDelayMs ? Date.now() + outcome.retryDelayMs : undefined;
    run.acks.fail(entry.id, due);
    report.failed++;
    run.emit({ event: "handler_failed", id: entry.id, error: outcome.error });
  }
}
