/** @module Stream id syntax and ordering (`<ms>-<seq>`, both unsigned 64-bit). */

import { ReplyShapeError } from "../errors";

const ID = /^(\d+)-(\d+)$/;
const PARTIAL_ID = /^(\d+)(?:-(\d+))?$/;
const U64_MAX = 18_446_744_073_709_551_615n;

/**
 * Whether `s` is a complete stream id `ms-seq` with both parts within 64 bits.
 * @see https://redis.io/docs/latest/develop/data-types/streams/#entry-ids
 */
export function isStreamId(s: unknown): s is string {
  if (typeof s !== "string") {
    return false;
  }
  const match = ID.exec(s);
  return match !== null && inRange(match[1]) && inRange(match[2]);
}

/**
 * Whether `s` is an explicit id as Redis takes one from a user (`XGROUP CREATE`/`SETID`, XRANGE
 * bounds): `ms-seq` or a bare `ms` (meaning `ms-0`), each part within 64 bits. A part past
 * 2^64−1 must be refused where it is read: Redis answers "Invalid stream ID" to every call
 * that carries it.
 * @see https://redis.io/docs/latest/develop/data-types/streams/#entry-ids
 */
export function isStreamIdArgument(s: unknown): s is string {
  if (typeof s !== "string") {
    return false;
  }
  const match = PARTIAL_ID.exec(s);
  return match !== null && inRange(match[1]) && (match[2] === undefined || inRange(match[2]));
}

function inRange(digits: string | undefined): boolean {
  return digits !== undefined && BigInt(digits) <= U64_MAX;
}

function split(id: string): [bigint, bigint] {
  if (!isStreamIdArgument(id)) {
    throw new ReplyShapeError(`not a stream id: ${JSON.stringify(id)}`);
  }
  // A bare `ms` means `ms-0`, as in XRANGE start bounds.
  const [ms = "0", seq = "0"] = id.split("-");
  return [BigInt(ms), BigInt(seq)];
}

/**
 * Orders two stream ids numerically (`"10-0"` after `"9-0"`). BigInt because the
 * millisecond and sequence parts are 64-bit and lose precision as JS numbers past 2^53.
 * A bare `ms` counts as `ms-0`.
 * @returns negative, zero or positive, like a sort comparator
 * @throws ReplyShapeError when either argument is not a stream id
 */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = split(a);
  const [bMs, bSeq] = split(b);
  if (aMs !== bMs) {
    return aMs < bMs ? -1 : 1;
  }
  if (aSeq !== bSeq) {
    return aSeq < bSeq ? -1 : 1;
  }
  return 0;
}
