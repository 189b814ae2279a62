/** @module Consumer hygiene: deletes idle consumers that own no pending entries. */
import { LuaScript, type ScriptTarget } from "../redis/script";
import { DELETE_IDLE_CONSUMERS } from "../redis/scripts/delete-idle-consumers";

const DELETE = new LuaScript("delete-idle-consumers", DELETE_IDLE_CONSUMERS);

export type HygieneOptions = ScriptTarget & {
  /** Consumers idle longer than this with no pending entries are deleted. */
  consumerRetentionMs: number;
  /** Never deleted, whatever its state: the caller's own consumer. */
  keep: string;
};

/**
 * Deletes every consumer of the group with `pending == 0` and idle > `consumerRetentionMs`,
 * checking and deleting in one script so a consumer that gains entries meanwhile is kept
 * (deleting it would destroy them). Invocation-derived names accumulate without this.
 * Costs one script run (`SCRIPT_MAX_REQUESTS` at most).
 * @returns the names deleted
 * @see https://redis.io/commands/xgroup-delconsumer
 * @see https://redis.io/commands/xinfo-consumers
 */
export function deleteIdleConsumers(options: HygieneOptions): Promise<string[]> {
  const { redis, stream, group, consumerRetentionMs, keep, budget } = options;
  return DELETE.runForIds(redis, [stream], [group, String(consumerRetentionMs), keep], budget);
}
