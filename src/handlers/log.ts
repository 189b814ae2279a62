/** @module Structured logs: one JSON line per event (Workers Logs, `wrangler tail`). */

/**
 * Writes `{ at, event, ...fields }` as one line. Callers pass counts, ids and names, never
 * tokens or URLs: everything here ends up in log storage.
 */
export function log(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ at: new Date().toISOString(), event, ...fields }));
}

/** {@link log} at error level: a condition an operator must fix (Workers Logs filter on it). */
export function logError(event: string, fields: Record<string, unknown> = {}): void {
  console.error(JSON.stringify({ at: new Date().toISOString(), event, ...fields }));
}
