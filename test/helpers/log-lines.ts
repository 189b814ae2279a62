/** @module The Worker's structured log lines of one event, out of what Miniflare printed. */

/** One JSON log line of the Worker. */
export type LogLine = { event: string; [field: string]: unknown };

/** The lines of `logs` that are JSON with this `event`, in order; other lines are skipped. */
export function linesOf(logs: readonly string[], event: string): LogLine[] {
  return logs.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as LogLine;
      return entry.event === event ? [entry] : [];
    } catch {
      return [];
    }
  });
}
