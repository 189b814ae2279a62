import { beforeEach, describe, expect, it } from "vitest";
import { nextStreamId } from "../../src/lib/sweep/cursor";
import {
  ackedTrimBound,
  lowestNeed,
  maxLenMinId,
  nthNewestRange,
  trimStream,
} from "../../src/lib/trim/trim";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("retention");
const { d } = ks;
let stream: string;
const redis = upstash();
const acked = { kind: "acked" } as const;
const maxlen = (maxLen: number) => ({ kind: "maxlen", maxLen }) as const;

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

/** `n` entries sent at once (one connection keeps their order), their ids oldest first. */
async function addMany(n: number): Promise<string[]> {
  const args = Array.from({ length: n }, (_, i) => ["XADD", stream, "*", "n", String(i)]);
  return (await Promise.all(args.map((a) => d.sendCommand(a)))).map(String);
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
      heldBack: 0,
      heldReason: null,
      heldBy: null,
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
  it("trims none of 1,000 entries no group has been delivered yet", async () => {
    await addMany(1000);
    await group("g", "0");
    const report = await trimStream({ redis, stream, policy: maxlen(100) });
    expect(report).toMatchObject({
      trimmed: 0,
      heldBack: 900,
      heldReason: "undelivered",
      heldBy: "g",
    });
    expect(await d.xLen(stream)).toBe(1000);
  });

  it("keeps exactly the newest N once every group has acked everything", async () => {
    const ids = await addMany(1000);
    await group("g", "0");
    await read("g", 1000);
    await ack("g", ids);
    const report = await trimStream({ redis, stream, policy: maxlen(100) });
    expect(report).toMatchObject({ trimmed: 900, minId: ids[900], heldBack: 0, heldReason: null });
    expect(await remaining()).toEqual(ids.slice(900));
  });

  it("keeps exactly the newest N when few entries are beyond N", async () => {
    const ids = await addMany(1000);
    await group("g", "0");
    await read("g", 1000);
    await ack("g", ids);
    expect(await trimStream({ redis, stream, policy: maxlen(900) })).toMatchObject({
      trimmed: 100,
      minId: ids[100],
    });
    expect(await remaining()).toEqual(ids.slice(100));
  });

  it("keeps entries still pending, and everything after them", async () => {
    const ids = await addMany(1000);
    await group("g", "0");
    await read("g", 1000);
    await ack("g", [...ids.slice(0, 300), ...ids.slice(302)]);
    const report = await trimStream({ redis, stream, policy: maxlen(100) });
    expect(report).toMatchObject({
      trimmed: 300,
      minId: ids[300],
      heldBack: 600,
      heldReason: "pending",
      heldBy: "g",
    });
    expect(await remaining()).toEqual(ids.slice(300));
  });

  it("never trims what the slower of two groups has not read", async () => {
    const ids = await addMany(1000);
    await group("fast", "0");
    await read("fast", 1000);
    await ack("fast", ids);
    await group("slow", "0");
    await read("slow", 400);
    await ack("slow", ids.slice(0, 400));
    const report = await trimStream({ redis, stream, policy: maxlen(100) });
    expect(report).toMatchObject({
      trimmed: 400,
      heldBack: 500,
      heldReason: "undelivered",
      heldBy: "slow",
    });
    expect(await remaining()).toEqual(ids.slice(400));
  });

  it("does not hold back the entries before a group's $ start", async () => {
    await addMany(500);
    await group("late", "$");
    const after = await addMany(500);
    const report = await trimStream({ redis, stream, policy: maxlen(100) });
    expect(report).toMatchObject({ trimmed: 500, heldBack: 400, heldBy: "late" });
    expect(await remaining()).toEqual(after);
  });

  it("trims nothing from a stream without groups, in one request", async () => {
    await addMany(300);
    expect(await trimStream({ redis, stream, policy: maxlen(100) })).toEqual({
      trimmed: 0,
      minId: null,
      heldBack: 200,
      heldReason: "no_group",
      heldBy: null,
      requests: 1,
    });
    expect(await d.xLen(stream)).toBe(300);
  });

  it("leaves a stream of N entries or fewer alone, in one request", async () => {
    const ids = await addMany(100);
    await group("g", "0");
    await read("g", 100);
    await ack("g", ids);
    expect(await trimStream({ redis, stream, policy: maxlen(100) })).toMatchObject({
      trimmed: 0,
      requests: 1,
    });
  });

  it("treats a missing stream as nothing to trim", async () => {
    expect(await trimStream({ redis, stream, policy: maxlen(1) })).toMatchObject({
      trimmed: 0,
      heldBack: 0,
    });
  });

  it("costs three requests with pending entries", async () => {
    await addMany(10);
    await group("g", "0");
    await read("g", 10);
    expect((await trimStream({ redis, stream, policy: maxlen(5) })).requests).toBe(3);
  });
});

describe("nthNewestRange", () => {
  it("reads the newest N when at least N entries are beyond them", () => {
    expect(nthNewestRange(1000, 100)).toEqual({ from: "newest", count: 100 });
  });

  it("reads the oldest entries up to the Nth newest when fewer are beyond N", () => {
    expect(nthNewestRange(1000, 900)).toEqual({ from: "oldest", count: 101 });
  });
});

describe("maxLenMinId", () => {
  it("cuts at the Nth newest id when every group is past it", () => {
    expect(maxLenMinId("9-0", { id: "12-0" })).toEqual({ minId: "9-0", held: false });
    expect(maxLenMinId("9-0", { id: "9-0" })).toEqual({ minId: "9-0", held: false });
  });

  it("cuts at the lowest needed id when a group is behind the Nth newest", () => {
    expect(maxLenMinId("9-0", { id: "4-2" })).toEqual({ minId: "4-2", held: true });
  });
});

describe("lowestNeed", () => {
  it("names the group furthest behind and whether a pending entry or a read holds it", () => {
    const ahead = { name: "ahead", lastDeliveredId: "9-0", oldestPendingId: "7-3" };
    const behind = { name: "behind", lastDeliveredId: "5-0", oldestPendingId: null };
    expect(lowestNeed([ahead, behind])).toEqual({
      id: "5-1",
      group: behind,
      reason: "undelivered",
    });
    expect(lowestNeed([ahead])).toEqual({ id: "7-3", group: ahead, reason: "pending" });
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
