/** @module Shared pieces of the benchmark: clients, filling streams, cleanup, medians, progress. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Redis } from "@upstash/redis/cloudflare";
import { createClient } from "redis";
import { createStreamsRedis } from "../src/lib/index";

export type Direct = ReturnType<typeof connectDirect>;

function connectDirect(url: string) {
  return createClient({ url, RESP: 2 });
}

/** A RESP2 connection straight to Redis: filling, ageing, checks and cleanup, never measured. */
export async function direct(url: string): Promise<Direct> {
  const client = connectDirect(url);
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** The client exactly as the Worker creates it: the core's own factory. */
export function workerClient(url: string, token: string): Redis {
  return createStreamsRedis({ url, token });
}

/** The body every drained message carries: `@upstash/queue`'s field name, a JSON value. */
export function body(i: number, padBytes = 0): string {
  const base = { order: `ORD-${i}`, amount: "12.50", currency: "EUR", pad: "" };
  const size = JSON.stringify(base).length;
  return JSON.stringify({ ...base, pad: "x".repeat(Math.max(0, padBytes - size)) });
}

/** Creates `group` at 0 (MKSTREAM) and adds `n` entries `messageBody=<json>`, pipelined. */
export async function fillStream(
  d: Direct,
  stream: string,
  group: string,
  n: number,
  padBytes = 0,
): Promise<string[]> {
  await d.sendCommand(["XGROUP", "CREATE", stream, group, "0", "MKSTREAM"]);
  const ids: string[] = [];
  const chunk = 2000;
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk);
    const batch = Array.from({ length: to - from }, (_, k) =>
      d.sendCommand(["XADD", stream, "*", "messageBody", body(from + k, padBytes)]),
    );
    ids.push(...(await Promise.all(batch)).map(String));
  }
  return ids;
}

/** Entries pending in `group` (XPENDING summary). */
export async function pendingCount(d: Direct, stream: string, group: string): Promise<number> {
  const reply = (await d.sendCommand(["XPENDING", stream, group])) as unknown[];
  return Number(reply[0] ?? 0);
}

/** Deletes every key matching one of `patterns` (SCAN + UNLINK; never FLUSH anything). */
export async function deleteKeys(d: Direct, patterns: string[]): Promise<number> {
  let deleted = 0;
  for (const pattern of patterns) {
    const keys: string[] = [];
    for await (const batch of d.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      keys.push(...batch);
    }
    for (let i = 0; i < keys.length; i += 500) {
      deleted += Number(await d.sendCommand(["UNLINK", ...keys.slice(i, i + 500)]));
    }
  }
  return deleted;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  const lo = sorted[mid - 1] ?? hi;
  return sorted.length % 2 === 1 ? hi : (lo + hi) / 2;
}

/** Median of the non-null values; null when there are none. */
export function medianOrNull(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : median(present);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A handler that takes `h` ms (a timer), or resolves at once for h = 0. */
export function handlerOf(h: number): () => Promise<void> {
  return h > 0 ? () => sleep(h) : async () => {};
}

/** Progress goes to stderr; the results go to files. */
export function progress(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * Runs `node <nodeArgs>` from the repository's root with `env` added, and resolves with the
 * JSON of the last line it printed: how a benchmark measures a run in a process of its own.
 * @param name what it is, for the error when it exits with a non-zero code
 */
export function runJsonChild<T>(
  nodeArgs: string[],
  env: Record<string, string>,
  name: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`${name} exited ${code}: ${err.trim()}`));
        return;
      }
      resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}") as T);
    });
  });
}
