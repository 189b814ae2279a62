/** @module A dead-letter entry: what goes in, how it is stored, how it reads back. */
import { ReplyShapeError } from "../errors";

export type DeadLetterReason = "max_deliveries" | "permanent_error";

/** One message on its way to the dead-letter stream. */
export type DeadLetterInput = {
  id: string;
  fields: Record<string, string>;
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
  reason: string;
  error: string;
  deadAt: number;
  /** The original fields, verbatim. */
  payload: Record<string, string>;
};

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

/**
 * Turns a raw dead-letter entry into a DeadLetter.
 *
 * Raw fields: `["original_id","1-0","original_stream","s","group","g","last_consumer","c",
 * "deliveries","3","reason","max_deliveries","error","boom","dead_at","1795709122566",
 * "payload","{\"amount\":\"12\"}"]`
 */
export function parseDeadLetter(id: string, fields: Record<string, string>): DeadLetter {
  let payload: unknown;
  try {
    payload = JSON.parse(fields.payload ?? "");
  } catch (e) {
    throw new ReplyShapeError(`dead-letter ${id} has a payload that is not JSON`, { cause: e });
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new ReplyShapeError(`dead-letter ${id} has a payload that is not a JSON object`);
  }
  return {
    id,
    originalId: fields.original_id ?? "",
    originalStream: fields.original_stream ?? "",
    group: fields.group ?? "",
    lastConsumer: fields.last_consumer ?? "",
    deliveries: Number(fields.deliveries ?? 0),
    reason: fields.reason ?? "",
    error: fields.error ?? "",
    deadAt: Number(fields.dead_at ?? 0),
    payload: Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, String(v)])),
  };
}
