/** @module Room in the consumer's PEL (Upstash's per-consumer limit); moving to a fresh name. */
import { DEFAULTS } from "../config/defaults";
import { MAX_CONSUMER_NAME_LENGTH } from "../group/consumer-name";
import type { InFlight } from "./in-flight";
import { flushDeadLetters, type Run, trip } from "./run";

/**
 * COUNT for the next read, within what the consumer may still hold: Upstash refuses a read
 * that would take one consumer past its PEL limit. Short of room, the drain first lets its
 * handlers finish and sends their acks; if failures still fill the PEL, it reads on under a
 * fresh consumer name (the failed entries stay with the old one for the sweep).
 */
export async function roomToRead(run: Run, inFlight: InFlight, wanted: number): Promise<number> {
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
