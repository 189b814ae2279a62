/** @module The dead letters a call names (one id, or a redrive's ids), checked before sending. */
import { DEFAULTS } from "../config/defaults";
import { type StreamsErrorOptions, StreamsWorkerError } from "../errors";
import { isStreamId } from "../replies/index";

/** The option a {@link DeadLetterInputError} is about. */
export type DeadLetterArgument = "id" | "ids" | "start" | "count";

/**
 * A dead-letter id, or a redrive's `ids`, cannot be used as given: not a stream id
 * `<ms>-<seq>`, too many or none, repeated, or given with `start` or `count`. Nothing is sent
 * to Redis. The message names the option, the limit and the offending id. (The HTTP API
 * answers the same text as 400 `INVALID_QUERY`.)
 */
export class DeadLetterInputError extends StreamsWorkerError {
  override readonly name = "DeadLetterInputError";
  readonly argument: DeadLetterArgument;

  constructor(argument: DeadLetterArgument, message: string, options?: StreamsErrorOptions) {
    super("DLQ_INVALID", message, options);
    this.argument = argument;
  }
}

const SHOWN_MAX = 40;
const STREAM_ID = 'a stream id like "1700000000000-0"';

function shown(value: string): string {
  return JSON.stringify(value.length > SHOWN_MAX ? `${value.slice(0, SHOWN_MAX)}…` : value);
}

/**
 * `id` when it is a complete stream id `<ms>-<seq>`, each part at most 2^64 − 1.
 * @throws DeadLetterInputError naming the value
 */
export function checkDeadLetterId(id: string, argument: "id" | "ids" = "id"): string {
  if (!isStreamId(id)) {
    const what = argument === "id" ? STREAM_ID : `stream ids like "1700000000000-0"`;
    throw new DeadLetterInputError(argument, `${argument} must be ${what}, got ${shown(id)}`);
  }
  return id;
}

/** A redrive's choice: ids, or a range; only whether `start` and `count` are given matters. */
export type RedriveSelection = {
  ids?: readonly string[] | undefined;
  start?: unknown;
  count?: unknown;
};

/**
 * The ids of a redrive by ids, checked: 1 to {@link DEFAULTS.redrivePageSize} (100) of them,
 * each a complete stream id, none twice, and neither `start` nor `count` beside them (both
 * describe a range, which `ids` replaces). `undefined` when `ids` is not given.
 * @throws DeadLetterInputError naming the limit, or the bad or repeated id
 */
export function checkRedriveIds(selection: RedriveSelection): string[] | undefined {
  const { ids } = selection;
  if (ids === undefined) {
    return undefined;
  }
  for (const other of ["start", "count"] as const) {
    if (selection[other] !== undefined) {
      throw new DeadLetterInputError(
        other,
        `ids and ${other} cannot be given together: ids names the dead letters, ${other} a range`,
      );
    }
  }
  const max = DEFAULTS.redrivePageSize;
  if (ids.length === 0 || ids.length > max) {
    const got = ids.length === 0 ? "none" : String(ids.length);
    throw new DeadLetterInputError("ids", `ids must hold 1 to ${max} dead-letter ids, got ${got}`);
  }
  const seen = new Set<string>();
  for (const id of ids) {
    checkDeadLetterId(id, "ids");
    if (seen.has(id)) {
      throw new DeadLetterInputError(
        "ids",
        `ids must name each dead letter once, got ${shown(id)} twice`,
      );
    }
    seen.add(id);
  }
  return [...ids];
}
