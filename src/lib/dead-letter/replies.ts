/** @module Parsers of the dead-letter scripts' replies: one outcome per entry. */
import { asArray, asString, fail } from "../replies/shape";

/** What one move did with each entry it was given; every id is in exactly one list. */
export type MoveResult = {
  /** Added to the dead-letter stream and acked. */
  moved: string[];
  /** No longer pending for the consumer (acked, or claimed by someone else): left alone. */
  notPending: string[];
  /** Deleted from the stream while pending: acked, nothing to dead-letter. */
  gone: string[];
  /** The dead-letter stream holds `dlqMaxLen` entries: left pending, nothing lost. */
  full: string[];
  /** Redis refused the entry's move: left pending; `error` is Redis's text. */
  failed: { id: string; error: string }[];
  /** Not sent: its chunk no longer fitted the request budget; left pending. */
  notSent: string[];
};

/** A move with nothing in it. */
export function emptyMoveResult(): MoveResult {
  return { moved: [], notPending: [], gone: [], full: [], failed: [], notSent: [] };
}

const MOVE_OUTCOMES = {
  moved: "moved",
  not_pending: "notPending",
  gone: "gone",
  full: "full",
} as const;

/**
 * Reply of the dead-letter move script, added to `into`.
 *
 * Raw: `[["1795709122566-0", "moved"], ["1795709122567-0", "not_pending"],
 * ["1795709122568-0", "gone"], ["1795709122569-0", "full"],
 * ["1795709122570-0", "failed", "WRONGTYPE Operation against a key ..."]]`
 * @throws ReplyShapeError
 */
export function parseMoveReply(raw: unknown, into: MoveResult = emptyMoveResult()): MoveResult {
  for (const [i, item] of asArray(raw, "dead-letter-move reply").entries()) {
    const what = `dead-letter-move outcome ${i}`;
    const [id, outcome, error] = asArray(item, what);
    const entry = asString(id, `${what} id`);
    const kind = asString(outcome, `${what} kind`);
    if (kind === "failed") {
      into.failed.push({ id: entry, error: asString(error, `${what} error`) });
    } else if (Object.hasOwn(MOVE_OUTCOMES, kind)) {
      into[MOVE_OUTCOMES[kind as keyof typeof MOVE_OUTCOMES]].push(entry);
    } else {
      fail(`${what} kind`, "moved, not_pending, gone, full or failed", kind);
    }
  }
  return into;
}

/** Why a redrive left a dead letter in place. */
export type RedriveSkipReason =
  /** It came from another stream. */
  | "other_stream"
  /** More pairs than one XADD of a script can take; re-add it by hand. */
  | "too_many_fields"
  /** It is not a dead letter this package can read. */
  | "malformed"
  /** Redis refused the XADD; `error` says why. */
  | "failed"
  /** Asked for by id, and not in the dead-letter stream (never was, or moved or deleted since). */
  | "not_found";

export type RedriveMove = {
  dlqId: string;
  /** The id the message had when it was dead-lettered. */
  originalId: string;
  /** Its id on the stream again; `null` in a dry run. */
  newId: string | null;
};

export type RedriveSkip = { id: string; reason: RedriveSkipReason; error?: string };

/** What one redrive script call did, in dead-letter order. */
export type RedriveOutcomes = {
  moved: RedriveMove[];
  skipped: RedriveSkip[];
  /** First dead letter not looked at: the next call's `start`; `null` when none is left. */
  next: string | null;
};

const SKIP_REASONS: ReadonlySet<string> = new Set<RedriveSkipReason>([
  "other_stream",
  "too_many_fields",
  "malformed",
  "failed",
  "not_found",
]);

/**
 * Reply of the redrive script: the next id (`""` = none), then one outcome per entry looked
 * at; a dry run's `newId` is `""`.
 *
 * Raw: `["1795709122599-0", [["1795709122570-0", "moved", "1795709122590-0", "1795709122566-0"],
 * ["1795709122571-0", "skipped", "too_many_fields", "1795709122567-0", ""]]]`
 * @throws ReplyShapeError
 */
export function parseRedriveReply(raw: unknown): RedriveOutcomes {
  const top = asArray(raw, "dead-letter-redrive reply");
  if (top.length !== 2) {
    fail("dead-letter-redrive reply", "[next, outcomes]", raw);
  }
  const next = asString(top[0], "dead-letter-redrive next");
  const result: RedriveOutcomes = { moved: [], skipped: [], next: next === "" ? null : next };
  for (const [i, item] of asArray(top[1], "dead-letter-redrive outcomes").entries()) {
    const what = `dead-letter-redrive outcome ${i}`;
    const [id, kind, detail, originalId, error] = asArray(item, what).map((v, j) =>
      asString(v, `${what} item ${j}`),
    );
    if (id === undefined || detail === undefined || originalId === undefined) {
      fail(what, "[dlqId, kind, detail, originalId, error?]", item);
    }
    if (kind === "moved") {
      result.moved.push({ dlqId: id, originalId, newId: detail === "" ? null : detail });
    } else if (kind === "skipped" && SKIP_REASONS.has(detail)) {
      const reason = detail as RedriveSkipReason;
      result.skipped.push(
        reason === "failed" ? { id, reason, error: error ?? "" } : { id, reason },
      );
    } else {
      fail(what, "moved, or skipped with a known reason", item);
    }
  }
  return result;
}
