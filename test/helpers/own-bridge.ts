/** @module A bridge of a suite's own, for tests that read its request counter or turn its fault knobs. */
import { afterAll, beforeAll, inject } from "vitest";
import { type Bridge, type BridgeOptions, startBridge } from "../../dev/bridge/server";

/**
 * Starts a bridge for the enclosing suite (file or `describe`) in a `beforeAll` and closes it
 * in an `afterAll`: the shared one's counters and knobs belong to every file at once. Token
 * `t`, a free port, no logs, the `upstash` profile unless `options` say otherwise.
 * @returns the bridge, once the suite's first hook has run
 */
export function useBridge(options: Partial<Omit<BridgeOptions, "token">> = {}): () => Bridge {
  let bridge: Bridge | undefined;
  beforeAll(async () => {
    bridge = await startBridge({
      redisUrl: inject("redisUrl"),
      token: "t",
      port: 0,
      log: () => {},
      profile: "upstash",
      ...options,
    });
  });
  afterAll(() => bridge?.close());
  return () => {
    if (bridge === undefined) {
      throw new Error("the bridge starts in beforeAll");
    }
    return bridge;
  };
}
