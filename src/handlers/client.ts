/** @module The @upstash/redis client, one per isolate, configured as DESIGN 1a requires. */
import { Redis } from "@upstash/redis/cloudflare";

let cached: { key: string; redis: Redis } | undefined;

/**
 * Raw replies (automaticDeserialization off: "123" stays a string, a numeric group name
 * stays a name) and no auto-pipelining (it reorders reads and writes); reused across
 * invocations of a warm isolate.
 */
export function redisFor(url: string, token: string): Redis {
  const key = `${url}\n${token}`;
  if (cached?.key !== key) {
    cached = {
      key,
      redis: new Redis({
        url,
        token,
        automaticDeserialization: false,
        enableAutoPipelining: false,
        enableTelemetry: false,
      }),
    };
  }
  return cached.redis;
}
