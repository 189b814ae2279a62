/** @module One minute of a group's history, and the compact line it is stored as. */
import { ReplyShapeError } from "../errors";

/** One minute of a group's history. */
export type Snapshot = {
  /** Start of the minute (ms since epoch) the snapshot covers. */
  t: number;
  /** XLEN of the stream at the minute's last record. */
  length: number;
  /**
   * Entries not delivered to the group yet (XINFO GROUPS lag, or counted as the backlog
   * script does where lag is missing, e.g. Upstash); null when unknown (no stream or group).
   */
  backlog: number | null;
  /** The group's pending entries (XINFO GROUPS pending). */
  pending: number;
  /** XLEN of the dead-letter stream. */
  dlq: number;
  /** Summed over the jobs recorded in that minute: drains' read + sweeps' claimed. */
  read: number;
  acked: number;
  failed: number;
  deadLettered: number;
  /** Jobs recorded in that minute. */
  jobs: number;
};

/** One minute in ms: the width of a snapshot. */
export const MINUTE_MS = 60_000;

/** Start of the minute `now` falls in (ms since epoch): a snapshot's `t`. */
export const minuteOf = (now: number): number => Math.floor(now / MINUTE_MS) * MINUTE_MS;

/** The stored line's fields, in order; `backlog` may be `-` (null). */
const FIELDS = [
  "t",
  "length",
  "backlog",
  "pending",
  "dlq",
  "read",
  "acked",
  "failed",
  "deadLettered",
  "jobs",
] as const;

const COUNT = /^\d+$/;

/**
 * A snapshot as the history list stores it: one line of ten space-separated integers,
 * `t length backlog pending dlq read acked failed dead jobs`, `-` for a null backlog.
 *
 * Raw: `"1767225600000 120 15 4 2 300 296 4 1 3"`, `"1767225600000 0 - 0 0 0 0 0 0 1"`.
 * @throws ReplyShapeError when the line is not ten fields of digits (a `-` allowed as the
 *   backlog only), or a number is past 2^53 - 1
 */
export function parseSnapshot(line: unknown): Snapshot {
  const what = "history snapshot";
  if (typeof line !== "string") {
    throw new ReplyShapeError(
      `${what}: expected a line of ${FIELDS.length} fields, got ${typeof line}`,
    );
  }
  const words = line.split(" ");
  if (words.length !== FIELDS.length) {
    throw new ReplyShapeError(
      `${what}: expected ${FIELDS.length} space-separated fields, got ${words.length}`,
    );
  }
  const out: Record<string, number | null> = {};
  FIELDS.forEach((name, i) => {
    const word = words[i] ?? "";
    if (name === "backlog" && word === "-") {
      out[name] = null;
      return;
    }
    const value = Number(word);
    if (!COUNT.test(word) || !Number.isSafeInteger(value)) {
      throw new ReplyShapeError(`${what}: ${name} must be a non-negative integer`);
    }
    out[name] = value;
  });
  return out as Snapshot;
}
