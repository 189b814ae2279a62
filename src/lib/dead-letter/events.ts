/** @module The events a dead-letter move reports, shared by the drain and the sweep. */
import { summariseRedisError } from "../config/redact";
import type { MoveResult } from "./replies";

/** What a move did, for structured logs (one line each, only when there is something). */
export type MoveEvent =
  | { event: "dead_lettered"; ids: string[] }
  /** Due for the dead-letter stream, left pending: it holds DLQ_MAXLEN entries. */
  | { event: "dlq_full"; ids: string[] }
  /** Redis refused these moves: left pending for the next sweep. */
  | { event: "dead_letter_failed"; failures: { id: string; error: string }[] };

/** Emits one event per kind of outcome that happened. */
export function reportMove(emit: (event: MoveEvent) => void, result: MoveResult): void {
  if (result.moved.length > 0) {
    emit({ event: "dead_lettered", ids: result.moved });
  }
  if (result.full.length > 0) {
    emit({ event: "dlq_full", ids: result.full });
  }
  if (result.failed.length > 0) {
    // Redis's texts, summarised as every Redis error is: no argument of a command gets out.
    const failures = result.failed.map(({ id, error }) => ({
      id,
      error: summariseRedisError(error).text,
    }));
    emit({ event: "dead_letter_failed", failures });
  }
}
