/** @module The @upstash/redis client set up the way the core needs it. */
import { Redis } from "@upstash/redis/cloudflare";

export type StreamsRedisOptions = {
  /** The REST endpoint (`UPSTASH_REDIS_REST_URL`, or the local bridge). */
  url: string;
  /** Its bearer token (`UPSTASH_REDIS_REST_TOKEN`). */
  token: string;
  /**
   * The client's retry of a fetch that throws. A retried `XREADGROUP >` may be applied twice:
   * the first reply's messages then wait in the PEL for the sweep. `false` turns it off.
   * @default the client's own (5 retries with backoff)
   */
  retry?: false;
};

/**
 * A client for the drain, the sweep and the admin calls:
 * - `automaticDeserialization: false`: replies stay raw, so `"007"` stays a string and a
 *   numeric group name stays a name (the core parses every reply itself);
 * - no auto-pipelining: it reorders reads and writes, and acks must follow their read;
 * - plain-JSON replies, not base64: the client decodes base64 with a default `TextDecoder`,
 *   which drops a leading U+FEFF from field names and values;
 * - no telemetry headers.
 * Works on Workers and on Node.js 18+ (it only needs `fetch`).
 * @example
 * ```ts
 * const redis = createStreamsRedis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });
 * ```
 */
export function createStreamsRedis(options: StreamsRedisOptions): Redis {
  return new Redis({
    url: options.url,
    token: options.token,
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
    responseEncoding: false,
    ...(options.retry === false ? { retry: false } : {}),
  });
}
