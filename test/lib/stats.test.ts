import { beforeEach, describe, expect, it } from "vitest";
import { ensureGroup } from "../../src/lib/group/ensure";
import {
  parseXInfoConsumers,
  parseXInfoGroups,
  parseXPendingExtended,
} from "../../src/lib/replies/index";
import { getStats } from "../../src/lib/stats/stats";
import { parseXPendingSummary } from "../helpers/pending-summary";
import { upstash, useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";

const ks = useKeyspace("stats");
const { d } = ks;
let stream: string;
let dlq: string;
const redis = upstash();

beforeEach(() => {
  stream = ks.key("orders");
  dlq = ks.key("orders:dlq");
});

const cmd = (...args: string[]) => d.sendCommand(args);

async function add(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(String(await cmd("XADD", stream, "*", "n", String(i))));
  }
  return ids;
}

async function lastId(): Promise<string> {
  const [entry] = (await cmd("XREVRANGE", stream, "+", "-", "COUNT", "1")) as unknown as [string][];
  return entry?.[0] ?? "";
}

/** 5 entries; g1: c1 holds 2 pending, c2 read 1 and acked it; g2 read nothing; 2 dead letters. */
async function populate(): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(String(await cmd("XADD", stream, "*", "n", String(i))));
  }
  await cmd("XGROUP", "CREATE", stream, "g1", "0");
  await cmd("XGROUP", "CREATE", stream, "g2", "$");
  await cmd("XREADGROUP", "GROUP", "g1", "c1", "COUNT", "2", "STREAMS", stream, ">");
  await cmd("XREADGROUP", "GROUP", "g1", "c2", "COUNT", "1", "STREAMS", stream, ">");
  await cmd("XACK", stream, "g1", ids[2] ?? "");
  await cmd("XADD", dlq, "*", "original_id", "1-0");
  await cmd("XADD", dlq, "*", "original_id", "2-0");
  return ids;
}

describe("getStats", () => {
  it("reports length, first and last id of the stream and the DLQ length", async () => {
    const ids = await populate();
    const s = await getStats({ redis, stream, dlqStream: dlq });
    expect(s.stream).toEqual({
      key: stream,
      exists: true,
      length: 5,
      firstEntryId: ids[0],
      lastEntryId: ids[4],
    });
    expect(s.dlq).toEqual({ key: dlq, length: 2 });
  });

  it("reports each group as XINFO GROUPS does", async () => {
    await populate();
    const s = await getStats({ redis, stream, dlqStream: dlq });
    const truth = parseXInfoGroups(await cmd("XINFO", "GROUPS", stream));
    const without7 = <G extends { lag: unknown; entriesRead: unknown }>(g: G) => {
      const { lag, entriesRead, ...rest } = g;
      return rest;
    };
    expect(
      s.groups.map(({ consumers, oldestPendingId, oldestPendingIdleMs, start, ...g }) =>
        without7(g),
      ),
    ).toEqual(truth.map(({ consumers, ...g }) => without7({ ...g, consumerCount: consumers })));
    expect(s.groups.find((g) => g.name === "g1")).toMatchObject({ pending: 2 });
  });

  it("answers without lag and entries-read, which Upstash does not report", async () => {
    await populate();
    const s = await getStats({ redis, stream, dlqStream: dlq });
    expect(s.groups.find((g) => g.name === "g1")).toMatchObject({ lag: null, entriesRead: null });
  });

  it("reports the oldest pending entry as XPENDING does", async () => {
    await populate();
    const s = await getStats({ redis, stream, dlqStream: dlq });
    const summary = parseXPendingSummary(await cmd("XPENDING", stream, "g1"));
    const [oldest] = parseXPendingExtended(await cmd("XPENDING", stream, "g1", "-", "+", "1"));
    const g1 = s.groups.find((g) => g.name === "g1");
    expect(g1?.oldestPendingId).toBe(summary.minId);
    expect(g1?.oldestPendingIdleMs).toBeLessThanOrEqual(oldest?.idleMs ?? -1);
    expect(s.groups.find((g) => g.name === "g2")?.oldestPendingId).toBeNull();
  });

  it("reports each consumer as XINFO CONSUMERS does", async () => {
    await populate();
    const s = await getStats({ redis, stream, dlqStream: dlq });
    const truth = parseXInfoConsumers(await cmd("XINFO", "CONSUMERS", stream, "g1"));
    const g1 = s.groups.find((g) => g.name === "g1");
    expect(g1?.consumers.map((c) => [c.name, c.pending])).toEqual(
      truth.map((c) => [c.name, c.pending]),
    );
    for (const c of g1?.consumers ?? []) {
      const idle = truth.find((t) => t.name === c.name)?.idleMs ?? -1;
      expect(c.idleMs).toBeLessThanOrEqual(idle);
      expect(c.idleMs).toBeGreaterThan(idle - 1000);
    }
  });

  it("alerts on a consumer idle too long with pending entries, not on one without", async () => {
    await populate();
    await sleep(30);
    const s = await getStats({ redis, stream, dlqStream: dlq, alertIdleMs: 20 });
    const g1 = s.groups.find((g) => g.name === "g1");
    expect(g1?.consumers.map((c) => [c.name, c.alert])).toEqual([
      ["c1", true],
      ["c2", false],
    ]);
    expect(s.alerts).toEqual([
      { group: "g1", consumer: "c1", pending: 2, idleMs: expect.any(Number) },
    ]);
  });

  it("raises no alert under the default five minutes", async () => {
    await populate();
    const s = await getStats({ redis, stream, dlqStream: dlq });
    expect(s.alerts).toEqual([]);
  });

  it("costs two requests for every group and one for a single group", async () => {
    await populate();
    expect((await getStats({ redis, stream, dlqStream: dlq })).requests).toBe(2);
    const one = await getStats({ redis, stream, group: "g1", dlqStream: dlq });
    expect(one.requests).toBe(1);
    expect(one.groups.map((g) => [g.name, g.consumers.length, g.pending])).toEqual([["g1", 2, 2]]);
  });

  it("says where a group created by the drain started, and nothing for one made elsewhere", async () => {
    const [first] = await add(2);
    const made = await ensureGroup({ redis, stream, group: "g0", startId: "$", force: true });
    await cmd("XGROUP", "CREATE", stream, "other", "0");
    const s = await getStats({ redis, stream, dlqStream: dlq });
    const g0 = s.groups.find((g) => g.name === "g0");
    expect(made).toMatchObject({ created: true, startedAfter: await lastId() });
    expect(g0?.start).toEqual({
      startId: "$",
      startedAfter: await lastId(),
      createdAt: expect.any(Number),
    });
    expect(first).not.toBe(await lastId());
    expect(s.groups.find((g) => g.name === "other")?.start).toBeNull();
  });

  it("answers zeros and nulls for a stream that does not exist", async () => {
    const s = await getStats({ redis, stream, dlqStream: dlq });
    expect(s).toEqual({
      stream: { key: stream, exists: false, length: 0, firstEntryId: null, lastEntryId: null },
      groups: [],
      dlq: { key: dlq, length: 0 },
      alerts: [],
      requests: 1,
    });
  });

  it("shows an empty stream with a group but no entries", async () => {
    await cmd("XGROUP", "CREATE", stream, "g", "$", "MKSTREAM");
    const s = await getStats({ redis, stream, dlqStream: dlq });
    expect(s.stream).toMatchObject({ exists: true, length: 0, firstEntryId: null });
    expect(s.groups).toMatchObject([{ name: "g", consumerCount: 0, pending: 0, consumers: [] }]);
  });

  it("answers no group when the asked group does not exist", async () => {
    await populate();
    const s = await getStats({ redis, stream, group: "nope", dlqStream: dlq });
    expect(s.groups).toEqual([]);
  });

  it("fails with a Redis error naming the command when the key is not a stream", async () => {
    await cmd("SET", stream, "x");
    await expect(getStats({ redis, stream, dlqStream: dlq })).rejects.toMatchObject({
      code: "REDIS_ERROR",
      message: expect.stringMatching(/^XINFO GROUPS failed: WRONGTYPE/),
    });
  });
});
