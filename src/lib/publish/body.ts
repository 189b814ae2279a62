/** @module The JSON body of `POST /publish` as messages: values converted, properties checked. */
import { PublishInputError, QueueSendError } from "../errors";
import type { DelayedMessage } from "../queues/delayed";
import { checkMessage } from "../queues/producer";
import type { FieldPair } from "../replies/index";
import { kindOf, type PublishMessage } from "./input";

/** Most messages one `POST /publish` takes. */
export const MAX_PUBLISH_BATCH = 1000;

/** A Queues-shaped message sent with a delay: it goes to the delayed set, not the stream. */
export type DelayedPublish = DelayedMessage & {
  /** Its position in the body. */
  index: number;
};

/**
 * The messages of a body: those added now (in body order, Queues-shaped ones as their `body`
 * and `content_type` fields), the delayed ones, and the size of each item's JSON in bytes
 * (checked by the caller).
 */
export type PublishBody = {
  messages: PublishMessage[];
  bytes: number[];
  delayed: DelayedPublish[];
};

const PROPERTIES = new Set(["fields", "idempotencyKey"]);
const QUEUE_PROPERTIES = new Set(["body", "contentType", "delaySeconds", "idempotencyKey"]);
const SHAPES =
  'a message has "fields" and, optionally, "idempotencyKey"; or "body" and, optionally, "contentType", "delaySeconds" and "idempotencyKey"';

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

/** The item's idempotency key, after its properties are checked against `allowed`. */
function keyOf(item: Record<string, unknown>, index: number, allowed: Set<string>) {
  const unknown = Object.keys(item).find((name) => !allowed.has(name));
  if (unknown !== undefined) {
    throw new PublishInputError(
      `message ${index}: unknown property ${JSON.stringify(unknown)}: ${SHAPES}`,
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
  return key;
}

/**
 * A Queues-shaped message `{ body, contentType?, delaySeconds? }`, encoded as the queue
 * producer writes it: added now when its delay is 0, else delayed.
 */
function queueMessageOf(
  item: Record<string, unknown>,
  index: number,
): PublishMessage | DelayedPublish {
  const key = keyOf(item, index, QUEUE_PROPERTIES);
  let checked: ReturnType<typeof checkMessage>;
  try {
    checked = checkMessage(item, index);
  } catch (e) {
    if (!(e instanceof QueueSendError)) {
      throw e;
    }
    throw new PublishInputError(e.message, { index }, { cause: e });
  }
  const { pairs, delaySeconds } = checked;
  if (delaySeconds === 0) {
    return key === undefined ? { fields: pairs } : { fields: pairs, idempotencyKey: key };
  }
  if (key !== undefined) {
    throw new PublishInputError(
      `message ${index}: idempotencyKey cannot go with delaySeconds: a delayed message reaches the stream only when due`,
      { index },
    );
  }
  return { index, pairs, delaySeconds };
}

function messageOf(item: unknown, index: number): PublishMessage | DelayedPublish {
  if (!isRecord(item)) {
    throw new PublishInputError(
      `message ${index} must be an object { "fields": ... } or { "body": ... }, got ${kindOf(item)}`,
      { index },
    );
  }
  if (Object.hasOwn(item, "body")) {
    if (Object.hasOwn(item, "fields")) {
      throw new PublishInputError(
        `message ${index} has both "fields" and "body": send one of them`,
        { index },
      );
    }
    return queueMessageOf(item, index);
  }
  const key = keyOf(item, index, PROPERTIES);
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
 * A message may instead be Queues-shaped, `{ "body": <any JSON>, "contentType"?: "json" |
 * "text", "delaySeconds"?: 0..86400, "idempotencyKey"? }`: encoded as `createQueue().send`
 * encodes it, added now when not delayed, else listed in `delayed` (which takes no key).
 * @param headerKey the `Idempotency-Key` header: the key of a body of one message
 * @throws PublishInputError naming what was wrong: the message's index and the field or
 *   option, never a value of a field or a body
 */
export function parsePublishBody(body: unknown, headerKey: string | undefined): PublishBody {
  const items = itemsOf(body, headerKey);
  const encoder = new TextEncoder();
  const parsed = items.map(messageOf);
  return {
    messages: parsed.filter((m): m is PublishMessage => "fields" in m),
    bytes: items.map((item) => encoder.encode(JSON.stringify(item)).length),
    delayed: parsed.filter((m): m is DelayedPublish => "delaySeconds" in m),
  };
}

/**
 * The ids of a body's messages in its order: `ids` of the messages added now, in their order,
 * and null in the place of each delayed one.
 */
export function idsInBodyOrder(ids: readonly string[], body: PublishBody): (string | null)[] {
  const delayed = new Set(body.delayed.map((m) => m.index));
  let next = 0;
  return body.bytes.map((_, i) => (delayed.has(i) ? null : (ids[next++] ?? null)));
}
