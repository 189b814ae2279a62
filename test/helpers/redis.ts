/**
 * @module Test clients: @upstash/redis through the bridge, node-redis straight to Redis, and
 * the per-test key prefixes every suite works under (`useKeyspace`).
 */
import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis/cloudflare";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, beforeEach, inject } from "vitest";
import { createStreamsRedis } from "../../src/lib/index";

export type UpstashOptions = { url?: string; token?: string; base64?: boolean; retry?: boolean };

/**
 * The client exactly as the Worker creates it (`createStreamsRedis`), pointed at the shared
 * bridge, without the client's fetch retries unless `retry: true` (a test must see a fault).
 * `base64: true` asks for `Upstash-Encoding: base64` instead, the client's own default, which
 * the conformance suite covers too.
 */
export function upstash(options: UpstashOptions = {}): Redis {
  const url = options.url ?? inject("bridgeUrl");
  const token = options.token ?? inject("bridgeToken");
  if (options.base64 !== true) {
    return createStreamsRedis({ url, token, ...(options.retry === true ? {} : { retry: false }) });
  }
  return new Redis({
    url,
    token,
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
    responseEncoding: "base64",
    retry: options.retry === true ? undefined : false,
  });
}

function connectDirect(url: string) {
  return createClient({ url, RESP: 2 });
}

export type Direct = ReturnType<typeof connectDirect>;

/** A RESP2 client for `url`, not yet connected; connection errors surface on commands. */
function directClient(url: string): Direct {
  const client = connectDirect(url);
  client.on("error", () => {});
  return client;
}

/** A RESP2 connection straight to Redis, for ground truth and cleanup. */
export async function direct(url = inject("redisUrl")): Promise<Direct> {
  const client = directClient(url);
  await client.connect();
  return client;
}

/**
 * A direct connection for the enclosing suite (file or `describe`): registers a `beforeAll`
 * that connects it and an `afterAll` that closes it. The client is returned at once, so
 * `const d = useDirect()` can sit at module level; commands work from the suite's first hook.
 */
export function useDirect(url = inject("redisUrl")): Direct {
  const client = directClient(url);
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    if (client.isOpen) {
      await client.close();
    }
  });
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

/** A keyspace that follows the tests of a suite, with the direct connection it cleans up with. */
export type TestKeyspace = Keyspace & {
  /** Direct connection to Redis, open from the suite's first hook to its last. */
  readonly d: Direct;
};

export type KeyspaceOptions = {
  /**
   * `"test"` (default): a fresh random prefix per test, its keys deleted after the test.
   * `"suite"`: one prefix for the enclosing suite (file or `describe`), fixed from the start
   * (so `key()` works at module level, e.g. for a Worker's STREAM binding), its keys deleted
   * after the suite's last test; `cleanup()` empties it in between.
   */
  scope?: "test" | "suite";
};

/**
 * The keyspace set-up of a suite in one call: registers the vitest hooks that connect `d`,
 * give each test (or the suite, see {@link KeyspaceOptions}) a random prefix
 * `rsw-test:<label>:<random>:`, delete the keys under it afterwards and close `d`. Call it
 * before the suite's own hooks: their `before*` then run after its, their `after*` before its,
 * so a suite's `afterEach` still sees its keys and the connection.
 *
 * `prefix`, `key()` and `cleanup()` read the current test's prefix; with the default scope,
 * using them outside a test or its `beforeEach`/`afterEach` throws.
 */
export function useKeyspace(label: string, options: KeyspaceOptions = {}): TestKeyspace {
  const d = useDirect();
  const perSuite = options.scope === "suite";
  let current: Keyspace | undefined = perSuite ? keyspace(d, label) : undefined;
  const live = (): Keyspace => {
    if (current === undefined) {
      throw new Error(
        `useKeyspace("${label}"): no prefix outside a test; use it in a test or a *Each hook`,
      );
    }
    return current;
  };
  if (perSuite) {
    afterAll(async () => {
      await live().cleanup();
    });
  } else {
    beforeEach(() => {
      current = keyspace(d, label);
    });
    afterEach(async () => {
      const ks = live();
      current = undefined;
      await ks.cleanup();
    });
  }
  return {
    d,
    get prefix() {
      return live().prefix;
    },
    key: (name) => live().key(name),
    cleanup: () => live().cleanup(),
  };
}
