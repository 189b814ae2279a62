/** @module The @upstash/redis client, one per isolate, configured as DESIGN 1a requires. */
import { Redis } from "@upstash/redis/cloudflare";

let cached: { key: string; redis: Redis } | undefined;

/**
 * Raw replies (automaticDeserialization off: "123" stays a string, a numeric group name
 * stays a name) and no auto-pipelining (it reorders reads and writes); reused across
 * invocations of a warm isolate. Replies come as plain JSON, not base64: the client decodes
 * base64 with a default `TextDecoder`, which drops a leading U+FEFF, so a field name or value
 * starting with a BOM would reach the handler, the dead-letter payload and a redrive without it.
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
        responseEncoding: false,
      }),
    };
  }
  return cached.redis;
}
