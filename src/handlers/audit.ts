/** @module The audit trail of the admin API: one structured JSON line per admin action. */

/**
 * Logs `{ event, ...fields }` as one JSON line (Workers Logs, `wrangler tail`). Callers pass
 * counts, ids and names, never tokens or URLs: everything here ends up in log storage.
 */
export function audit(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ event, ...fields }));
}
