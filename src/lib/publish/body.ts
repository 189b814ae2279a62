/** @module The JSON body of `POST /publish` as messages: values converted, properties checked. */
import { PublishInputError } from "../errors";
import type { FieldPair } from "../replies/index";
import { kindOf, type PublishMessage } from "./input";

/** Most messages one `POST /publish` takes. */
export const MAX_PUBLISH_BATCH = 1000;

/** The messages of a body, and the size of each one's JSON in bytes (checked by the caller). */
export type PublishBody = { messages: PublishMessage[]; bytes: number[] };

const PROPERTIES = new Set(["fields", "idempotencyKey"]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A field value as Redis stores it: strings as they are, numbers and booleans as text. */
function valueText(value: unknown, index: number, field: string): string {
  if (typeof value === "string") {
    return value;
  }
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  throw new PublishInputError(
    `message ${index}: field ${JSON.stringify(field)} must be a string, number or boolean, got ${kindOf(value)}`,
    { index, field },
  );
}

/** `fields` as pairs: an object in its JSON order, or a list of `[name, value]` pairs. */
function pairsOf(fields: unknown, index: number): FieldPair[] {
  if (isRecord(fields)) {
    return Object.entries(fields).map(([name, v]) => [name, valueText(v, index, name)]);
  }
  if (!Array.isArray(fields)) {
    throw new PublishInputError(
      `message ${index}: fields must be an object or a list of [name, value] pairs, got ${kindOf(fields)}`,
      { index },
    );
  }
  return fields.map((pair: unknown, at) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") {
      throw new PublishInputError(
        `message ${index}: fields[${at}] must be a [name, value] pair, got ${kindOf(pair)}`,
        { index },
      );
    }
    const [name, value] = pair as [string, unknown];
    return [name, valueText(value, index, name)];
  });
}

function messageOf(item: unknown, index: number): PublishMessage {
  if (!isRecord(item)) {
    throw new PublishInputError(
      `message ${index} must be an object { "fields": ... }, got ${kindOf(item)}`,
      { index },
    );
  }
  const unknown = Object.keys(item).find((name) => !PROPERTIES.has(name));
  if (unknown !== undefined) {
    throw new PublishInputError(
      `message ${index}: unknown property ${JSON.stringify(unknown)}: a message has "fields" and, optionally, "idempotencyKey"`,
      { index },
    );
  }
  const key = item.idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || key === "")) {
    throw new PublishInputError(
      `message ${index}: idempotencyKey must be a non-empty string, got ${key === "" ? "an empty string" : kindOf(key)}`,
      { index },
    );
  }
  const fields = pairsOf(item.fields, index);
  return key === undefined ? { fields } : { fields, idempotencyKey: key };
}

/** The items of the body: one object, or an array of 1 to {@link MAX_PUBLISH_BATCH}. */
function itemsOf(body: unknown, headerKey: string | undefined): unknown[] {
  if (Array.isArray(body)) {
    if (headerKey !== undefined) {
      throw new PublishInputError(
        'the Idempotency-Key header is for a body of one message: give each message of an array its "idempotencyKey"',
      );
    }
    if (body.length === 0 || body.length > MAX_PUBLISH_BATCH) {
      throw new PublishInputError(
        `the body must hold 1 to ${MAX_PUBLISH_BATCH} messages, got ${body.length}`,
      );
    }
    return body;
  }
  if (!isRecord(body)) {
    throw new PublishInputError(
      `the body must be a JSON object { "fields": ... } or an array of them, got ${kindOf(body)}`,
    );
  }
  if (headerKey === undefined) {
    return [body];
  }
  if (headerKey === "") {
    throw new PublishInputError("the Idempotency-Key header is empty");
  }
  if (body.idempotencyKey !== undefined && body.idempotencyKey !== headerKey) {
    throw new PublishInputError(
      'the Idempotency-Key header and the body\'s "idempotencyKey" differ: send one of them',
      { index: 0 },
    );
  }
  return [{ ...body, idempotencyKey: headerKey }];
}

/**
 * The messages of a parsed `POST /publish` body: `{ "fields": {...}, "idempotencyKey"? }` or
 * an array of such objects. `fields` is an object, or a list of `[name, value]` pairs to keep
 * an order an object cannot (names like `"7"` come first in a JSON object) or repeated names.
 * Numbers and booleans become their text (`1.5` → `"1.5"`); any other value is refused.
 * @param headerKey the `Idempotency-Key` header: the key of a body of one message
 * @throws PublishInputError naming what was wrong: the message's index and the field, never
 *   a value
 */
export function parsePublishBody(body: unknown, headerKey: string | undefined): PublishBody {
  const items = itemsOf(body, headerKey);
  const encoder = new TextEncoder();
  return {
    messages: items.map(messageOf),
    bytes: items.map((item) => encoder.encode(JSON.stringify(item)).length),
  };
}
