/** @module What every scenario gets: the bridge, a direct connection, the key prefix. */
import type { Redis } from "@upstash/redis/cloudflare";
import type { Bridge } from "../dev/bridge/server";
import type { Direct } from "./common";

export type BenchContext = {
  bridge: Bridge;
  token: string;
  d: Direct;
  /** The Worker's client, pointed at the bridge. */
  redis: Redis;
  /** `rsw-bench:<uuid>:`: every key this run creates starts with it (or `UpstashMQ:` + it). */
  prefix: string;
  /** A fresh key name under the prefix. */
  key(name: string): string;
};

/** Requests the bridge answered while `work` ran, and how long it took. */
export async function measured<T>(
  ctx: BenchContext,
  work: () => Promise<T>,
): Promise<{ result: T; requests: number; wallMs: number }> {
  const before = ctx.bridge.stats().requests;
  const t0 = performance.now();
  const result = await work();
  const wallMs = performance.now() - t0;
  return { result, requests: ctx.bridge.stats().requests - before, wallMs };
}
