import { describe, expect, it } from "vitest";
import { estimateBacklog } from "../../src/lib/fanout/backlog";
import { RequestBudget } from "../../src/lib/redis/budget";
import { add, fill } from "../helpers/drain-fixture";
import { upstash, useKeyspace } from "../helpers/redis";

// The shared bridge runs the upstash profile: XINFO GROUPS answers without `lag`.
const redis = upstash();
const ks = useKeyspace("fanout-backlog");
const { d } = ks;

const estimate = (stream: string, cap = 1000, group = "g") =>
  estimateBacklog({ redis, stream, group, cap, budget: new RequestBudget() });

/** Adds entries with explicit ids `<ms>-0`, one per listed ms. */
async function addAt(stream: string, times: number[]): Promise<void> {
  const multi = d.multi();
  for (const ms of times) {
    multi.addCommand(["XADD", stream, `${ms}-0`, "n", String(ms)]);
  }
  await multi.execAsPipeline();
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("estimateBacklog", () => {
  it("counts the entries added after a group created at $", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 30);
    expect(await estimate(stream)).toBe(30);
  });

  it("leaves out the entries that were there before a group created at $", async () => {
    const stream = ks.key("s");
    await add(d, stream, 10);
    await d.sendCommand(["XGROUP", "CREATE", stream, "g", "$"]);
    await add(d, stream, 4);
    expect(await estimate(stream)).toBe(4);
  });

  it("leaves out what was delivered, pending or acked", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 25);
    await d.sendCommand(["XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", stream, ">"]);
    expect(await estimate(stream)).toBe(15);
  });

  it("is 0 when the group has read everything", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 3);
    await d.sendCommand(["XREADGROUP", "GROUP", "g", "c", "STREAMS", stream, ">"]);
    expect(await estimate(stream)).toBe(0);
  });

  it("is null when the group does not exist", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 3);
    expect(await estimate(stream, 1000, "other")).toBeNull();
  });

  it("is null when the stream does not exist", async () => {
    expect(await estimate(ks.key("missing"))).toBeNull();
  });

  it("is exact up to the cap", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 250);
    expect(await estimate(stream, 250)).toBe(250);
  });

  it("extrapolates past the cap from the ids' times up to the newest entry", async () => {
    const stream = ks.key("s");
    await d.sendCommand(["XGROUP", "CREATE", stream, "g", "0", "MKSTREAM"]);
    // One entry per ms from 1000 to 1499: the first 100 span 100 ms, 400 ms more follow.
    await addAt(stream, range(1000, 500));
    expect(await estimate(stream, 100)).toBe(500);
  });

  it("never estimates more than the stream holds", async () => {
    const stream = ks.key("s");
    await d.sendCommand(["XGROUP", "CREATE", stream, "g", "0", "MKSTREAM"]);
    // 10 entries a ms apart, then one a long time later: the rate would predict ~1e6.
    await addAt(stream, [...range(1, 10), 1_000_000]);
    expect(await estimate(stream, 10)).toBe(11);
  });

  it("is 0 for a group at the largest id", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 2);
    const top = "18446744073709551615-18446744073709551615";
    await d.sendCommand(["XGROUP", "SETID", stream, "g", top]);
    expect(await estimate(stream)).toBe(0);
  });

  it("costs one request", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 5);
    await estimate(stream);
    const budget = new RequestBudget();
    await estimateBacklog({ redis, stream, group: "g", cap: 1000, budget });
    expect(budget.used).toBe(1);
  });
});
