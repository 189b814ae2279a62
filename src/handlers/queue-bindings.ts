/** @module Queue bindings for Workers moving from Cloudflare Queues: `env.MY_QUEUE.send(...)` on a stream. */
import { ConfigError } from "../lib/errors";
import { createQueue, type QueueProducer } from "../lib/queues/producer";
import { redisFor } from "./client";

/**
 * `env` with a producer in place of each Cloudflare Queues binding: `withQueues(env, {
 * MY_QUEUE: "my-queue" })` gives `env.MY_QUEUE.send(body, { delaySeconds })` and `sendBatch`
 * on the stream `my-queue`, over the Worker's UPSTASH_REDIS_REST_URL and _TOKEN. The code
 * that used the binding runs unchanged; only this line is new.
 * @param bindings binding name → stream
 * @throws ConfigError naming UPSTASH_REDIS_REST_URL / _TOKEN when either is not set
 */
export function withQueues<E extends object, B extends Record<string, string>>(
  env: E,
  bindings: B,
): E & { [K in keyof B]: QueueProducer } {
  const vars = env as Record<string, unknown>;
  const url = vars.UPSTASH_REDIS_REST_URL;
  const token = vars.UPSTASH_REDIS_REST_TOKEN;
  if (typeof url !== "string" || url === "" || typeof token !== "string" || token === "") {
    throw new ConfigError(
      ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"],
      "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be set for queue bindings",
    );
  }
  const redis = redisFor(url, token);
  const producers = Object.fromEntries(
    Object.entries(bindings).map(([name, stream]) => [name, createQueue(redis, stream)]),
  );
  return { ...env, ...producers } as E & { [K in keyof B]: QueueProducer };
}
