/** @module One dead letter by its id: read it, or delete it. */
import type { Redis } from "@upstash/redis";
import { RequestBudget } from "../redis/budget";
import { sendCommand } from "../redis/calls";
import { parseStreamEntries } from "../replies/index";
import { asInteger, fail } from "../replies/shape";
import { type DeadLetter, parseDeadLetter } from "./entry";
import { checkDeadLetterId } from "./select";

export type DeadLetterByIdOptions = {
  redis: Pick<Redis, "exec">;
  dlqStream: string;
  /** The dead letter's id in the dead-letter stream (`DeadLetter.id`), `<ms>-<seq>`. */
  id: string;
  /** Counts the request against the caller's cap. @default an unlimited budget of its own */
  budget?: RequestBudget;
};

/**
 * Reply of `XRANGE dlq id id COUNT 1`: the dead letter, or `null` when the stream holds no
 * entry with that id (or does not exist).
 *
 * Raw: `[["1795709122570-0", ["original_id", "1795709122566-0", ..., "format", "pairs",
 * "amount", "12"]]]`, or `[]`
 * @throws ReplyShapeError when the reply is not one entry at most, is an entry of another
 *   id, or is an entry that is not a dead letter this package can read
 */
export function parseDeadLetterRange(raw: unknown, id: string): DeadLetter | null {
  const entries = parseStreamEntries(raw);
  const [entry] = entries;
  if (entry === undefined) {
    return null;
  }
  if (entries.length > 1 || entry.id !== id) {
    fail(`XRANGE of dead letter ${id}`, "that one entry or none", raw);
  }
  return parseDeadLetter(entry.id, entry.pairs);
}

/**
 * Reply of `XDEL dlq id`: whether an entry was deleted.
 *
 * Raw: `1`, or `0` when there was none
 * @throws ReplyShapeError when it is not 0 or 1
 */
export function parseDeleteReply(raw: unknown): boolean {
  const deleted = asInteger(raw, "XDEL reply");
  if (deleted !== 0 && deleted !== 1) {
    fail("XDEL reply", "0 or 1", raw);
  }
  return deleted === 1;
}

/**
 * The dead letter with this id, as `listDeadLetters` gives it (metadata, `payload`, `pairs`),
 * or `null` when the dead-letter stream does not hold it. One request.
 *
 * An entry that is there but is not a dead letter this package can read (written by
 * something else, or damaged) throws, where a listing reports it in `unreadable`: one id
 * asked for has no page to go on with. `deleteDeadLetter` removes such an entry.
 * @throws DeadLetterInputError when `id` is not a complete stream id (nothing is sent)
 * @throws ReplyShapeError when the entry cannot be read; the message says why, never its content
 * @see https://redis.io/commands/xrange
 */
export async function readDeadLetter(options: DeadLetterByIdOptions): Promise<DeadLetter | null> {
  const id = checkDeadLetterId(options.id);
  const budget = options.budget ?? new RequestBudget();
  const raw = await sendCommand(options.redis, budget, [
    "XRANGE",
    options.dlqStream,
    id,
    id,
    "COUNT",
    1,
  ]);
  return parseDeadLetterRange(raw, id);
}

/** What `deleteDeadLetter` did. */
export type DeleteDeadLetterResult = {
  /** `true` when the entry was there and is gone; `false` when there was none with that id. */
  deleted: boolean;
};

/**
 * Deletes one dead letter for good, readable or not (`XDEL`): its message is not redriven
 * and not kept anywhere. One request. The dead-letter stream is never trimmed otherwise.
 * @throws DeadLetterInputError when `id` is not a complete stream id (nothing is sent)
 * @see https://redis.io/commands/xdel
 */
export async function deleteDeadLetter(
  options: DeadLetterByIdOptions,
): Promise<DeleteDeadLetterResult> {
  const id = checkDeadLetterId(options.id);
  const budget = options.budget ?? new RequestBudget();
  const raw = await sendCommand(options.redis, budget, ["XDEL", options.dlqStream, id]);
  return { deleted: parseDeleteReply(raw) };
}
