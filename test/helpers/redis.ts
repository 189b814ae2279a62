/** @module Test clients: @upstash/redis through the bridge, node-redis straight to Redis. */
import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis/cloudflare";
import { createClient } from "redis";
import { inject } from "vitest";

export type UpstashOptions = { url?: string; token?: string; base64?: boolean; retry?: boolean };

/**
 * The client exactly as the Worker creates it (DESIGN 1a; plain JSON replies, see
 * src/handlers/client.ts), pointed at the shared bridge. `base64: true` asks for
 * `Upstash-Encoding: base64`, the client's own default, which the conformance suite covers too.
 */
export function upstash(options: UpstashOptions = {}): Redis {
  return new Redis({
    url: options.url ?? inject("bridgeUrl"),
    token: options.token ?? inject("bridgeToken"),
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
    responseEncoding: options.base64 === true ? "base64" : false,
    retry: options.retry === true ? undefined : false,
  });
}

function connectDirect(url: string) {
  return createClient({ url, RESP: 2 });
}

export type Direct = ReturnType<typeof connectDirect>;

/** A RESP2 connection straight to Redis, for ground truth and cleanup. */
export async function direct(url = inject("redisUrl")): Promise<Direct> {
  const client = connectDirect(url);
  client.on("error", () => {});
  await client.connect();
  return client;
}

export type Keyspace = {
  prefix: string;
  key(name: string): string;
  cleanup(): Promise<void>;
};

/** A random key prefix for one test; cleanup deletes only keys under it. */
export function keyspace(client: Direct, label = "t"): Keyspace {
  const prefix = `rsw-test:${label}:${randomUUID().slice(0, 8)}:`;
  return {
    prefix,
    key: (name) => `${prefix}${name}`,
    cleanup: async () => {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
        keys.push(...batch);
      }
      if (keys.length > 0) {
        await client.del(keys);
      }
    },
  };
}
