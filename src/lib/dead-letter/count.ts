/** @module How many dead letters a dead-letter stream holds. */
import type { Redis } from "@upstash/redis";
import { RequestBudget } from "../redis/budget";
import { sendCommand } from "../redis/calls";
import { asInteger } from "../replies/shape";

/**
 * The number of entries in the dead-letter stream (0 when it does not exist). One request.
 * @see https://redis.io/commands/xlen
 */
export async function countDeadLetters(options: {
  redis: Pick<Redis, "exec">;
  dlqStream: string;
  budget?: RequestBudget;
}): Promise<number> {
  const budget = options.budget ?? new RequestBudget();
  const raw = await sendCommand(options.redis, budget, ["XLEN", options.dlqStream]);
  return asInteger(raw, "XLEN reply");
}
