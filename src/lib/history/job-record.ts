/** @module The last drain's or sweep's report, as the history keeps it for the dashboard. */
import type { DrainReport } from "../drain/options";
import { ReplyShapeError } from "../errors";
import type { SweepReport } from "../sweep/sweep";

/** The last drain's or sweep's report, as kept for the dashboard. */
export type JobRecord = {
  job: "drain" | "sweep";
  /** When it ended (ms since epoch). */
  at: number;
  consumer: string;
  /** A drain's read, a sweep's claimed. */
  read: number;
  acked: number;
  failed: number;
  deadLettered: number;
  stoppedBy: string;
  durationMs: number;
  requests: number;
  /** The report's error message, or null. */
  error: string | null;
};

/**
 * Maps a drain or sweep report to a {@link JobRecord} (pure): a sweep's `claimed` stands in
 * for `read`; the error keeps its message only (already safe to log, see `toReportError`).
 * @param at when the job ended (ms since epoch)
 */
export function jobRecord(
  job: "drain" | "sweep",
  report: DrainReport | SweepReport,
  at: number,
): JobRecord {
  return {
    job,
    at,
    consumer: report.consumer,
    read: "claimed" in report ? report.claimed : report.read,
    acked: report.acked,
    failed: report.failed,
    deadLettered: report.deadLettered,
    stoppedBy: report.stoppedBy,
    durationMs: report.durationMs,
    requests: report.requests,
    error: report.error?.message ?? null,
  };
}

const NUMBERS = [
  "at",
  "read",
  "acked",
  "failed",
  "deadLettered",
  "durationMs",
  "requests",
] as const;

/**
 * A record as the last-jobs hash stores it, one JSON object per field (`drain`, `sweep`).
 *
 * Raw: `'{"job":"drain","at":1767225612345,"consumer":"cron-1a2b","read":50,"acked":50,
 * "failed":0,"deadLettered":0,"stoppedBy":"empty","durationMs":812,"requests":4,"error":null}'`
 * @throws ReplyShapeError when it is not such an object (field names only in the message)
 */
export function parseJobRecord(raw: unknown, job: "drain" | "sweep"): JobRecord {
  const what = `last ${job} record`;
  let value: unknown;
  try {
    value = typeof raw === "string" ? JSON.parse(raw) : undefined;
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ReplyShapeError(`${what}: expected a JSON object`);
  }
  const r = value as Record<string, unknown>;
  const bad = (field: string): never => {
    throw new ReplyShapeError(`${what}: ${field} has the wrong type`);
  };
  if (r.job !== job) {
    bad("job");
  }
  for (const field of NUMBERS) {
    if (typeof r[field] !== "number" || !Number.isFinite(r[field])) {
      bad(field);
    }
  }
  for (const field of ["consumer", "stoppedBy"]) {
    if (typeof r[field] !== "string") {
      bad(field);
    }
  }
  if (r.error !== null && typeof r.error !== "string") {
    bad("error");
  }
  const { consumer, stoppedBy, error } = r as JobRecord;
  const numbers = Object.fromEntries(NUMBERS.map((f) => [f, r[f]])) as Pick<
    JobRecord,
    (typeof NUMBERS)[number]
  >;
  return { job, ...numbers, consumer, stoppedBy, error };
}
