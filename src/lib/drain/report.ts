/** @module The drain's report before anything happened: what each run starts counting from. */
import type { DrainReport } from "./options";

/** A report of nothing read yet, for `consumer`. */
export function emptyReport(consumer: string): DrainReport {
  const counts = { read: 0, acked: 0, failed: 0, deadLettered: 0, skipped: 0, batches: 0 };
  return {
    consumer,
    ...counts,
    emptyPolls: 0,
    requests: 0,
    durationMs: 0,
    stoppedBy: "empty",
    peakConcurrency: 0,
  };
}
