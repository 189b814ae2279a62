/** @module The Worker's Redis client: the core's client, one per isolate. */
import type { Redis } from "@upstash/redis/cloudflare";
import { createStreamsRedis } from "../lib/redis/client";

let cached: { key: string; redis: Redis } | undefined;

/** The client for this endpoint, reused across invocations of a warm isolate. */
export function redisFor(url: string, token: string): Redis {
  const key = `${url}\n${token}`;
  if (cached?.key !== key) {
    cached = { key, redis: createStreamsRedis({ url, token }) };
  }
  return cached.redis;
}
