/** @module What `publish()` accepts: messages checked and brought to one shape, their pairs in order. */
import { MAX_VERBATIM_PAIRS } from "../dead-letter/entry";
import { PublishInputError } from "../errors";
import type { FieldPair } from "../replies/index";

/** One message to publish. */
export type PublishMessage = {
  /**
   * Its field/value pairs: an object (added in the order `Object.entries` gives), or a list of
   * pairs, added exactly as listed, repeated names included.
   */
  fields: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
  /**
   * Adds the message once however often it is published while the key is remembered: a
   * publish repeated with the same key (a retry after a lost reply, say) gets the first id back.
   */
  idempotencyKey?: string;
};

/** A message checked: its pairs in the order they are added, its key when it has one. */
export type Publishable = { pairs: FieldPair[]; key: string | undefined };

/**
 * Most pairs one message may have: the script adds a message with one `XADD` of its pairs,
 * and Lua's `unpack` stops near 8,000 values; a dead letter also copies this many verbatim.
 */
export const MAX_PUBLISH_PAIRS = MAX_VERBATIM_PAIRS;

/** What a value is, for error messages: never the value itself. */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) {
    return value === null ? "null" : "nothing";
  }
  if (typeof value === "object") {
    return Array.isArray(value) ? "an array" : "an object";
  }
  return `a ${typeof value}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** One `[name, value]` element of a list of pairs. */
function listPair(item: unknown, index: number, at: number): FieldPair {
  if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== "string") {
    throw new PublishInputError(
      `message ${index}: fields[${at}] must be a [name, value] pair of strings, got ${kindOf(item)}`,
      { index },
    );
  }
  const [name, value] = item as [string, unknown];
  if (typeof value !== "string") {
    throw new PublishInputError(
      `message ${index}: field ${JSON.stringify(name)} must be a string, got ${kindOf(value)}`,
      { index, field: name },
    );
  }
  return [name, value];
}

function pairsOf(fields: unknown, index: number): FieldPair[] {
  if (Array.isArray(fields)) {
    return fields.map((item: unknown, at) => listPair(item, index, at));
  }
  if (!isRecord(fields)) {
    throw new PublishInputError(
      `message ${index}: fields must be an object or a list of [name, value] pairs, got ${kindOf(fields)}`,
      { index },
    );
  }
  return Object.entries(fields).map(([name, value]) => listPair([name, value], index, 0));
}

/**
 * Checks message `index` of a batch.
 * @throws PublishInputError naming the message's index, and the field when one is at fault
 */
export function toPublishable(message: unknown, index: number): Publishable {
  if (!isRecord(message)) {
    throw new PublishInputError(`message ${index} must be an object, got ${kindOf(message)}`, {
      index,
    });
  }
  const pairs = pairsOf(message.fields, index);
  if (pairs.length === 0 || pairs.length > MAX_PUBLISH_PAIRS) {
    throw new PublishInputError(
      `message ${index}: fields must hold 1 to ${MAX_PUBLISH_PAIRS} pairs, got ${pairs.length}`,
      { index },
    );
  }
  const key = message.idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || key === "")) {
    throw new PublishInputError(
      `message ${index}: idempotencyKey must be a non-empty string, got ${key === "" ? "an empty string" : kindOf(key)}`,
      { index },
    );
  }
  return { pairs, key };
}

/**
 * Whether an object made of `pairs` gives them back in the same order (the client's `XADD`
 * takes an object): not when a name repeats, nor when a name like `"7"` comes after another,
 * since JavaScript lists such names first.
 */
export function keepsOrderAsObject(pairs: readonly FieldPair[]): boolean {
  const back = Object.entries(Object.fromEntries(pairs));
  return back.length === pairs.length && back.every(([name], i) => name === pairs[i]?.[0]);
}
