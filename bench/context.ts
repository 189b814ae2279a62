/** @module What every scenario gets: the bridge, a direct connection, the key prefix. */
import { randomBytes, randomUUID } from "node:crypto";
import type { Redis } from "@upstash/redis/cloudflare";
import { type Bridge, startBridge } from "../dev/bridge/server";
import { type Direct, deleteKeys, direct, progress, workerClient } from "./common";

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

/** An opened benchmark run: its context, where its Redis is, and the cleanup of its keys. */
export type OpenedBench = { ctx: BenchContext; redisUrl: string; cleanup(): Promise<void> };

/**
 * Opens a run: a bridge (`upstash` profile) in front of REDIS_URL (default the local Redis),
 * a direct connection, the key prefix `<label>:<uuid>:`. `cleanup` deletes the keys under
 * the prefix (and under each of `also(prefix)`), and runs on Ctrl-C too.
 */
export async function openBench(
  label: string,
  also: (prefix: string) => string[] = () => [],
): Promise<OpenedBench> {
  const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
  const token = randomBytes(16).toString("hex");
  const prefix = `${label}:${randomUUID()}:`;
  const bridge = await startBridge({ redisUrl, token, port: 0, log: () => {}, profile: "upstash" });
  const d = await direct(redisUrl);
  const ctx: BenchContext = {
    bridge,
    token,
    d,
    redis: workerClient(bridge.url, token),
    prefix,
    key: (name) => `${prefix}${name}`,
  };
  const cleanup = async () => {
    const n = await deleteKeys(d, [`${prefix}*`, ...also(prefix)]);
    progress(`deleted ${n} leftover keys under ${prefix}`);
  };
  process.once("SIGINT", () => {
    void cleanup().finally(() => process.exit(130));
  });
  return { ctx, redisUrl, cleanup };
}
