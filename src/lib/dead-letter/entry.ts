/** @module A dead-letter entry: what goes in, how it is stored, how it reads back. */
import { ReplyShapeError } from "../errors";
import { type FieldPair, pairsToFields } from "../replies/index";
import { asInteger } from "../replies/shape";

/**
 * Why a message was dead-lettered: its handler runs used up MAX_DELIVERIES, it threw
 * `PermanentError`, or it failed once when read with NOACK (nothing to retry it from).
 */
export type DeadLetterReason = "max_deliveries" | "permanent_error" | "noack_failed";

/** One message on its way to the dead-letter stream. */
export type DeadLetterInput = {
  id: string;
  /**
   * Unused: the move reads the entry inside Redis, so its bytes never travel.
   * @deprecated leave it out
   */
  fields?: Record<string, string>;
  reason: DeadLetterReason;
  /** Last error text; cut to 1 KiB. */
  error: string;
};

/** A dead-letter entry as listed. */
export type DeadLetter = {
  /** Id in the dead-letter stream. */
  id: string;
  originalId: string;
  originalStream: string;
  group: string;
  lastConsumer: string;
  deliveries: number;
  /** Handler runs that failed, as the drain and the sweep counted them; 0 for older entries. */
  failures: number;
  reason: string;
  error: string;
  deadAt: number;
  /** The original fields; a repeated name keeps its last value. */
  payload: Record<string, string>;
  /** The original field/value pairs, in order, repeats kept. */
  pairs: FieldPair[];
};

/**
 * Names of the metadata pairs every dead letter starts with, in this order. The last,
 * `format`, says how the original pairs follow:
 * - `pairs`: verbatim, as many as the original had;
 * - `json`: one pair `pairs` → a JSON array of the original's flat field/value list, for
 *   entries wider than {@link MAX_VERBATIM_PAIRS}.
 * Read positionally, so an original field named like a metadata field stays payload.
 */
export const DEAD_LETTER_HEADER = [
  "original_id",
  "original_stream",
  "group",
  "last_consumer",
  "deliveries",
  "failures",
  "reason",
  "error",
  "dead_at",
  "format",
] as const;

/** The layout before `failures` and `format`: `payload` held a JSON object of the fields. */
const LEGACY_HEADER = [
  "original_id",
  "original_stream",
  "group",
  "last_consumer",
  "deliveries",
  "reason",
  "error",
  "dead_at",
  "payload",
] as const;

/**
 * Most original pairs a dead letter copies verbatim; a wider entry is stored as JSON. Lua's
 * `unpack` stops near 8,000 values (Redis 7: "too many results to unpack"), and one XADD of
 * a dead letter passes 3 + 20 + 2n of them: 3,000 pairs make 6,023, and a redrive adding
 * back 3,001 pairs 6,005, both about 2,000 under the limit.
 */
export const MAX_VERBATIM_PAIRS = 3000;

const MAX_ERROR_BYTES = 1024;

/** Cuts to at most 1 KiB of UTF-8 without splitting a character. */
export function truncateError(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= MAX_ERROR_BYTES) {
    return text;
  }
  const cut = new TextDecoder().decode(bytes.slice(0, MAX_ERROR_BYTES - 3));
  return `${cut.replace(/\uFFFD$/, "")}...`;
}

function startsWith(pairs: FieldPair[], names: readonly string[]): boolean {
  return names.every((name, i) => pairs[i]?.[0] === name);
}

/** The value of the metadata pair at `i`; the header check made sure it exists. */
function at(pairs: FieldPair[], i: number): string {
  return pairs[i]?.[1] ?? "";
}

/**
 * A JSON array of strings, even in length, as flat field/value pairs.
 * @throws ReplyShapeError
 */
function parseJsonPairs(json: string, what: string): FieldPair[] {
  let flat: unknown;
  try {
    flat = JSON.parse(json);
  } catch (e) {
    throw new ReplyShapeError(`${what}: pairs that are not JSON`, { cause: e });
  }
  if (!Array.isArray(flat) || flat.length % 2 !== 0 || flat.some((s) => typeof s !== "string")) {
    throw new ReplyShapeError(`${what}: pairs that are not an even-length array of strings`);
  }
  const strings = flat as string[];
  const pairs: FieldPair[] = [];
  for (let i = 0; i < strings.length; i += 2) {
    pairs.push([strings[i] ?? "", strings[i + 1] ?? ""]);
  }
  return pairs;
}

function legacyPairs(json: string, what: string): FieldPair[] {
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch (e) {
    throw new ReplyShapeError(`${what}: a payload that is not JSON`, { cause: e });
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new ReplyShapeError(`${what}: a payload that is not a JSON object`);
  }
  const pairs = Object.entries(payload);
  if (pairs.some(([, v]) => typeof v !== "string")) {
    throw new ReplyShapeError(`${what}: a payload value that is not a string`);
  }
  return pairs as FieldPair[];
}

/** The original pairs after the header, per `format`. */
function originalPairs(pairs: FieldPair[], what: string): FieldPair[] {
  const format = at(pairs, DEAD_LETTER_HEADER.length - 1);
  const rest = pairs.slice(DEAD_LETTER_HEADER.length);
  if (format === "pairs") {
    return rest;
  }
  if (format === "json" && rest.length === 1 && rest[0]?.[0] === "pairs") {
    return parseJsonPairs(rest[0][1], what);
  }
  throw new ReplyShapeError(`${what}: unknown format ${JSON.stringify(format)}`);
}

/**
 * Turns a raw dead-letter entry into a DeadLetter, reading the metadata by position.
 *
 * Raw pairs (as `parsePairs` gives them): `[["original_id","1-0"],["original_stream","s"],
 * ["group","g"],["last_consumer","c"],["deliveries","3"],["failures","2"],
 * ["reason","max_deliveries"],["error","boom"],["dead_at","1795709122566"],["format","pairs"],
 * ["amount","12"],["amount","13"]]`; or, in the older layout, the first 8 of those without
 * `failures`, then `["payload","{\"amount\":\"12\"}"]`.
 * @throws ReplyShapeError when the entry has neither layout
 */
export function parseDeadLetter(id: string, pairs: FieldPair[]): DeadLetter {
  const what = `dead letter ${id}`;
  const legacy = pairs.length === LEGACY_HEADER.length && startsWith(pairs, LEGACY_HEADER);
  if (!legacy && !startsWith(pairs, DEAD_LETTER_HEADER)) {
    throw new ReplyShapeError(`${what}: does not start with the dead-letter metadata`);
  }
  const header: readonly string[] = legacy ? LEGACY_HEADER : DEAD_LETTER_HEADER;
  const value = (name: string) => at(pairs, header.indexOf(name));
  const original = legacy ? legacyPairs(value("payload"), what) : originalPairs(pairs, what);
  return {
    id,
    originalId: value("original_id"),
    originalStream: value("original_stream"),
    group: value("group"),
    lastConsumer: value("last_consumer"),
    deliveries: asInteger(value("deliveries"), `${what} deliveries`),
    failures: legacy ? 0 : asInteger(value("failures"), `${what} failures`),
    reason: value("reason"),
    error: value("error"),
    deadAt: asInteger(value("dead_at"), `${what} dead_at`),
    payload: pairsToFields(original),
    pairs: original,
  };
}
