/** @module Consumer hygiene: deletes idle consumers that own no pending entries (DESIGN 1, 5). */
import { ReplyShapeError } from "../errors";
import type { RequestCounter } from "../redis/budget";
import { LuaScript, type ScriptRedis } from "../redis/script";
import { DELETE_IDLE_CONSUMERS } from "../redis/scripts/delete-idle-consumers";

const DELETE = new LuaScript("delete-idle-consumers", DELETE_IDLE_CONSUMERS);

/** Most requests {@link deleteIdleConsumers} makes: EVALSHA, then EVAL after a NOSCRIPT. */
export const HYGIENE_MAX_REQUESTS = 2;

export type HygieneOptions = {
  redis: ScriptRedis;
  stream: string;
  group: string;
  /** Consumers idle longer than this with no pending entries are deleted. @default 3600000 */
  consumerRetentionMs: number;
  /** Never deleted, whatever its state: the caller's own consumer. */
  keep: string;
  counter: RequestCounter;
};

/**
 * Deletes every consumer of the group with `pending == 0` and idle > `consumerRetentionMs`,
 * checking and deleting in one script so a consumer that gains entries meanwhile is kept
 * (deleting it would destroy them). Invocation-derived names accumulate without this.
 * @returns the names deleted
 * @see https://redis.io/commands/xgroup-delconsumer
 * @see https://redis.io/commands/xinfo-consumers
 */
export async function deleteIdleConsumers(options: HygieneOptions): Promise<string[]> {
  const reply = await DELETE.run(
    options.redis,
    [options.stream],
    [options.group, String(options.consumerRetentionMs), options.keep],
    options.counter,
  );
  if (!Array.isArray(reply)) {
    throw new ReplyShapeError(`delete-idle-consumers returned ${JSON.stringify(reply)}`);
  }
  return reply.map(String);
}
