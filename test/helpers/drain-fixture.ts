/** @module Shared set-up for drain tests: a stream with a group, filled through a direct connection. */
import type { Direct } from "./redis";

/** Creates the group at `$` and adds `n` entries `{ n: "<i>" }` after it. */
export async function fill(d: Direct, stream: string, n: number, group = "g"): Promise<string[]> {
  await d.sendCommand(["XGROUP", "CREATE", stream, group, "$", "MKSTREAM"]);
  return add(d, stream, n);
}

/** Adds `n` entries in one pipeline; returns their ids in order. */
export async function add(d: Direct, stream: string, n: number, offset = 0): Promise<string[]> {
  const multi = d.multi();
  for (let i = 0; i < n; i++) {
    multi.addCommand(["XADD", stream, "*", "n", String(offset + i)]);
  }
  return (await multi.execAsPipeline()).map(String);
}

/** XPENDING summary count. */
export async function pendingCount(d: Direct, stream: string, group = "g"): Promise<number> {
  const [count] = (await d.sendCommand(["XPENDING", stream, group])) as [number];
  return count;
}

/**
 * Makes every pending entry of `group` look idle for 5 s, past a MIN_IDLE_MS of 1 s, without
 * counting a delivery (`XCLAIM ... IDLE 5000 JUSTID` to a consumer of its own): the sweep may
 * take them at once.
 */
export async function agePending(d: Direct, stream: string, group = "g"): Promise<void> {
  const rows = (await d.sendCommand(["XPENDING", stream, group, "-", "+", "1000"])) as string[][];
  const ids = rows.map((r) => r[0] ?? "");
  if (ids.length > 0) {
    await d.sendCommand(["XCLAIM", stream, group, "aged", "0", ...ids, "IDLE", "5000", "JUSTID"]);
  }
}
