/** @module The sweep's PEL position, persisted between runs. */
import type { Redis } from "@upstash/redis";
import { RedisCommandError, ReplyShapeError } from "../errors";
import type { RequestBudget } from "../redis/budget";
import { sendCommand } from "../redis/calls";
import { isStreamId } from "../replies/index";

/** Start of a cycle: the lowest id, as XAUTOCLAIM reports "scanned to the end". */
export const CYCLE_START = "0-0";

const U64_MAX = 18_446_744_073_709_551_615n;

/**
 * The smallest stream id greater than `id` (`5-3` → `5-4`, `5-18446744073709551615` → `6-0`):
 * an inclusive start that resumes right after `id`.
 */
export function nextStreamId(id: string): string {
  if (!isStreamId(id)) {
    throw new ReplyShapeError(`not a stream id: ${JSON.stringify(id)}`);
  }
  const [ms = "0", seq = "0"] = id.split("-");
  return BigInt(seq) === U64_MAX ? `${BigInt(ms) + 1n}-0` : `${ms}-${BigInt(seq) + 1n}`;
}

/**
 * Where this run starts: the stored id, or {@link CYCLE_START} when none is stored, it is not
 * an id, or the key is not a string at all (WRONGTYPE). A corrupted key restarts the cycle
 * rather than failing every sweep; the run's `SET` of the cursor then replaces it.
 * @throws RedisCommandError for any failure but WRONGTYPE
 * @see https://redis.io/commands/get
 */
export async function readCursor(
  redis: Pick<Redis, "exec">,
  key: string,
  budget: RequestBudget,
): Promise<string> {
  let raw: unknown;
  try {
    raw = await sendCommand(redis, budget, ["GET", key]);
  } catch (e) {
    if (e instanceof RedisCommandError && e.redisCode === "WRONGTYPE") {
      return CYCLE_START;
    }
    throw e;
  }
  return isStreamId(raw) ? raw : CYCLE_START;
}
