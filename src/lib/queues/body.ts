/** @module A queue message's body as stream fields: `body` and `content_type`, both ways. */
import { QueueSendError } from "../errors";
import { kindOf } from "../publish/input";

/**
 * How a body is stored: `json` (the default) as its JSON text, `text` as the string itself.
 * Cloudflare's `bytes` and `v8` have no counterpart: a stream field holds text.
 */
export type QueueContentType = "json" | "text";

/** The field that holds a queue message's body. */
export const BODY_FIELD = "body";

/** The field that holds a queue message's content type. */
export const CONTENT_TYPE_FIELD = "content_type";

/** The pairs of one encoded message, in the order they are added to the stream. */
export type EncodedBody = [
  body: [typeof BODY_FIELD, string],
  contentType: [typeof CONTENT_TYPE_FIELD, QueueContentType],
];

/**
 * The content type given, checked: it comes from callers' options, which plain JavaScript (or
 * a value typed with Cloudflare's wider union) may fill with anything.
 * @throws QueueSendError saying which types are supported
 */
export function checkContentType(contentType: unknown): QueueContentType {
  if (contentType === "json" || contentType === "text") {
    return contentType;
  }
  if (contentType === "bytes" || contentType === "v8") {
    throw new QueueSendError(
      `contentType "${contentType}" is not supported: a stream field holds text, so send "json" or "text"`,
    );
  }
  const got = typeof contentType === "string" ? JSON.stringify(contentType) : kindOf(contentType);
  throw new QueueSendError(`contentType must be "json" or "text", got ${got}`);
}

/** Why `JSON.stringify` threw, in words: the engine's text may quote property names. */
function jsonFailure(e: unknown): string {
  const text = e instanceof Error ? e.message : "";
  if (/bigint/i.test(text)) {
    return "it holds a BigInt, which JSON cannot represent (send it as a string)";
  }
  if (/circular|cyclic/i.test(text)) {
    return "it refers to itself (a cycle), which JSON cannot represent";
  }
  return "turning it into JSON threw (see the cause)";
}

/** The JSON text of `body`, or an error saying why it has none. */
function jsonText(body: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (e) {
    throw new QueueSendError(`the body cannot be JSON: ${jsonFailure(e)}`, {}, { cause: e });
  }
  if (text === undefined) {
    // JSON.stringify gives undefined for what has no JSON form at all, rather than throwing.
    throw new QueueSendError(
      body === undefined
        ? "the body is undefined: there is nothing to send"
        : `the body cannot be JSON: ${kindOf(body)} has no JSON form`,
    );
  }
  return text;
}

/**
 * The stream fields of one message: `body` (the JSON text of `body` under `json`, the string
 * itself under `text`) then `content_type`. Under `json`, what `JSON.stringify` leaves out
 * inside an object (an `undefined` property, a function) is left out, as Cloudflare does.
 * @param contentType @default "json"
 * @throws QueueSendError when the content type is not `json` or `text`, when the body has no
 *   JSON form under `json` (`undefined`, a function, a symbol, a BigInt, a cycle), or is not
 *   a string under `text`; the error never quotes the body
 */
export function encodeBody(body: unknown, contentType: QueueContentType = "json"): EncodedBody {
  const type = checkContentType(contentType);
  if (type === "json") {
    return [
      [BODY_FIELD, jsonText(body)],
      [CONTENT_TYPE_FIELD, type],
    ];
  }
  if (typeof body !== "string") {
    throw new QueueSendError(`contentType "text" needs a string body, got ${kindOf(body)}`);
  }
  return [
    [BODY_FIELD, body],
    [CONTENT_TYPE_FIELD, type],
  ];
}

/**
 * A message's body from its stream fields, for a consumer: without `bodyField`, the fields
 * object itself (an entry not written by a queue producer); under `content_type` `text`, the
 * string; otherwise the parsed JSON. A `body` that is not JSON is given as the string it is:
 * an entry written by hand with a plain-text `body` and no content type is still readable.
 * @param bodyField @default "body"
 */
export function decodeBody(
  fields: Readonly<Record<string, string>>,
  bodyField: string = BODY_FIELD,
): unknown {
  if (!Object.hasOwn(fields, bodyField)) {
    return fields;
  }
  const text = fields[bodyField] as string;
  if (fields[CONTENT_TYPE_FIELD] === "text") {
    return text;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
