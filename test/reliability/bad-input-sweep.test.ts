/**
 * Bad-input catalogue, the sweep: data it does not expect in its own keys, and the smallest
 * settings it accepts. A corrupted cursor key restarts the cycle instead of failing every run;
 * the smallest MAX_REQUESTS still retries what is stuck.
 */
import { describe, expect, it } from "vitest";
import { CONFIG_RANGES, parseConfig } from "../../src/lib/config/env";
import type { TrimPolicy } from "../../src/lib/config/parsers";
import { sweep } from "../../src/lib/index";
import { streamKeys } from "../../src/lib/redis/keys";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("bad-sweep");
const redis = upstash();
const MIN_IDLE_MS = 1000;

/** One entry pending with a drain consumer, idle long enough to be reclaimed. */
async function stuckEntry(stream: string): Promise<string> {
  await ks.d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
  const id = String(await ks.d.sendCommand(["XADD", stream, "*", "n", "1"]));
  await ks.d.sendCommand(["XREADGROUP", "GROUP", "g", "cron-1", "STREAMS", stream, ">"]);
  await ks.d.sendCommand(["XCLAIM", stream, "g", "cron-1", "0", id, "IDLE", "600000", "JUSTID"]);
  return id;
}

/** A sweep of `stream` whose handler records what it ran. */
function sweepOf(
  stream: string,
  seen: string[],
  more: { maxRequests?: number; trim?: TrimPolicy } = {},
) {
  return sweep({
    redis,
    stream,
    group: "g",
    consumer: "cron-2",
    handler: (m) => void seen.push(m.id),
    minIdleMs: MIN_IDLE_MS,
    ...more,
  });
}

describe("a cursor key of the wrong type", () => {
  it.each([
    ["a hash", ["HSET", "field", "value"]],
    ["a list", ["RPUSH", "x"]],
  ])(
    "holding %s: the sweep starts a new cycle, retries, and leaves a string cursor",
    async (_, [cmd = "", ...args]) => {
      const stream = ks.key("orders");
      const id = await stuckEntry(stream);
      const cursor = streamKeys(stream, "g").sweepCursor;
      await ks.d.sendCommand([cmd, cursor, ...args]);
      const seen: string[] = [];
      const report = await sweepOf(stream, seen);
      expect(report.error).toBeUndefined();
      expect(report).toMatchObject({ retried: 1, acked: 1 });
      expect(seen).toEqual([id]);
      expect(await ks.d.type(cursor)).toBe("string");
    },
  );

  it("holding a string that is not an id: the sweep starts a new cycle", async () => {
    const stream = ks.key("orders");
    const id = await stuckEntry(stream);
    await ks.d.set(streamKeys(stream, "g").sweepCursor, "not-an-id");
    const seen: string[] = [];
    expect((await sweepOf(stream, seen)).error).toBeUndefined();
    expect(seen).toEqual([id]);
  });
});

describe("the smallest MAX_REQUESTS", () => {
  const [least] = CONFIG_RANGES.MAX_REQUESTS;

  it.each([["none"], ["acked"], ["maxlen:1000"]])(
    "with TRIM=%s, the least the env accepts still retries and acks a stuck entry",
    async (trimText) => {
      const base = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1", UPSTASH_REDIS_REST_TOKEN: "t" };
      const env = { ...base, STREAM: "s", GROUP: "g", TRIM: trimText };
      let config: ReturnType<typeof parseConfig> | undefined;
      for (let n = least; config === undefined; n++) {
        try {
          config = parseConfig({ ...env, MAX_REQUESTS: n });
        } catch {
          // Below what this TRIM needs: the env refuses it, so it never runs.
        }
      }
      const stream = ks.key("orders");
      const id = await stuckEntry(stream);
      const seen: string[] = [];
      const { maxRequests, trim } = config;
      const report = await sweepOf(stream, seen, { maxRequests, trim });
      expect(report.error).toBeUndefined();
      expect(seen).toEqual([id]);
      expect(report.acked).toBe(1);
      expect(report.requests).toBeLessThanOrEqual(maxRequests);
    },
  );
});
