import { beforeEach, describe, expect, it } from "vitest";
import { nextStreamId } from "../../src/lib/sweep/cursor";
import { ackedTrimBound, trimStream } from "../../src/lib/trim/trim";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("retention");
const { d } = ks;
let stream: string;
const redis = upstash();
const acked = { kind: "acked" } as const;

beforeEach(() => {
  stream = ks.key("orders");
});

async function add(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(String(await d.sendCommand(["XADD", stream, "*", "n", String(i)])));
  }
  return ids;
}

const group = (name: string, start: string) =>
  d.sendCommand(["XGROUP", "CREATE", stream, name, start, "MKSTREAM"]);
const read = (name: string, count: number) =>
  d.sendCommand(["XREADGROUP", "GROUP", name, "c", "COUNT", String(count), "STREAMS", stream, ">"]);
const ack = (name: string, ids: string[]) => d.sendCommand(["XACK", stream, name, ...ids]);
const remaining = async () =>
  ((await d.sendCommand(["XRANGE", stream, "-", "+"])) as [string, string[]][]).map(([id]) => id);

describe("trimStream acked", () => {
  it("never removes an entry a group still has pending or has not yet read", async () => {
    const ids = await add(10);
    await group("ahead", "0");
    await read("ahead", 10);
    await ack("ahead", ids.slice(0, 6));
    await group("behind", "0");
    await read("behind", 4);
    await ack("behind", ids.slice(0, 4));
    const report = await trimStream({ redis, stream, policy: acked });
    // "behind" has not read ids[4..9]; "ahead" still has ids[6..9] pending.
    expect(report).toMatchObject({ trimmed: 4, minId: nextStreamId(ids[3] ?? "") });
    expect(await remaining()).toEqual(ids.slice(4));
  });

  it("keeps an unacked entry below entries every group has acked", async () => {
    const ids = await add(5);
    await group("g", "0");
    await read("g", 5);
    await ack("g", [ids[0] ?? "", ids[2] ?? "", ids[3] ?? "", ids[4] ?? ""]);
    await trimStream({ redis, stream, policy: acked });
    expect(await remaining()).toEqual(ids.slice(1));
  });

  it("removes nothing while a group created at 0 has not read", async () => {
    await add(5);
    await group("new", "0");
    expect(await trimStream({ redis, stream, policy: acked })).toMatchObject({ trimmed: 0 });
    expect(await d.xLen(stream)).toBe(5);
  });

  it("removes what every group has been delivered and acked, including a group created at $", async () => {
    const ids = await add(5);
    await group("old", "0");
    await read("old", 5);
    await ack("old", ids);
    await group("late", "$");
    expect(await trimStream({ redis, stream, policy: acked })).toMatchObject({ trimmed: 5 });
    const more = await add(1);
    await trimStream({ redis, stream, policy: acked });
    expect(await remaining()).toEqual(more);
  });

  it("removes nothing from a stream without groups", async () => {
    await add(3);
    expect(await trimStream({ redis, stream, policy: acked })).toEqual({
      trimmed: 0,
      minId: null,
      requests: 1,
    });
  });

  it("treats a missing stream as nothing to trim", async () => {
    expect(await trimStream({ redis, stream, policy: acked })).toMatchObject({ trimmed: 0 });
  });

  it("costs three requests with pending entries", async () => {
    await add(3);
    await group("g", "0");
    await read("g", 3);
    expect((await trimStream({ redis, stream, policy: acked })).requests).toBe(3);
  });
});

describe("trimStream maxlen", () => {
  it("keeps about the last N entries", async () => {
    const args = Array.from({ length: 1000 }, (_, i) => ["XADD", stream, "*", "n", String(i)]);
    await Promise.all(args.map((a) => d.sendCommand(a)));
    const report = await trimStream({ redis, stream, policy: { kind: "maxlen", maxLen: 100 } });
    const length = await d.xLen(stream);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(1000);
    expect(report.trimmed).toBe(1000 - length);
  });
});

describe("ackedTrimBound", () => {
  it("takes the lowest of every group's oldest pending id and next undelivered id", () => {
    expect(
      ackedTrimBound([
        { lastDeliveredId: "9-0", oldestPendingId: "7-3" },
        { lastDeliveredId: "8-1", oldestPendingId: null },
      ]),
    ).toBe("7-3");
    expect(ackedTrimBound([{ lastDeliveredId: "8-1", oldestPendingId: null }])).toBe("8-2");
  });

  it("keeps pending entries above a last-delivered-id moved back by SETID", () => {
    expect(ackedTrimBound([{ lastDeliveredId: "3-0", oldestPendingId: "5-0" }])).toBe("3-1");
  });

  it("rolls over to the next millisecond at the largest sequence number", () => {
    const id = "5-18446744073709551615";
    expect(ackedTrimBound([{ lastDeliveredId: id, oldestPendingId: null }])).toBe("6-0");
  });

  it("is null without groups", () => {
    expect(ackedTrimBound([])).toBeNull();
  });
});
