import { describe, expect, it } from "vitest";
import { emptyReport } from "../../src/lib/drain/report";
import { ConfigError, RedisCommandError } from "../../src/lib/errors";
import { type JobRecord, jobRecord } from "../../src/lib/history/job-record";
import { readHistory } from "../../src/lib/history/read";
import { isIdleJob, recordJob, recordSnapshot } from "../../src/lib/history/record";
import { minuteOf } from "../../src/lib/history/snapshot";
import { RequestBudget } from "../../src/lib/redis/budget";
import { streamKeys } from "../../src/lib/redis/keys";
import { add, fill } from "../helpers/drain-fixture";
import { upstash, useKeyspace } from "../helpers/redis";

// The shared bridge runs the upstash profile; the script's own XINFO GROUPS runs inside
// Redis 7, which gives `lag` unless it cannot tell (a group created at an arbitrary id).
const redis = upstash();
const ks = useKeyspace("history");
const { d } = ks;

const T = minuteOf(1_767_225_600_000);
const MIN = 60_000;

const drained = (read: number, acked = read, consumer = "cron-1"): JobRecord =>
  jobRecord("drain", { ...emptyReport(consumer), read, acked }, T);

type Opts = {
  group?: string;
  record?: JobRecord;
  now?: number;
  keep?: number;
  budget?: RequestBudget;
};

function record(stream: string, o: Opts = {}) {
  return recordSnapshot({
    redis,
    stream,
    group: o.group ?? "g",
    dlqStream: `${stream}:dlq`,
    record: o.record ?? drained(0),
    now: o.now ?? T,
    keep: o.keep,
    budget: o.budget,
  });
}

const history = (stream: string, minutes?: number, group = "g") =>
  readHistory({ redis, stream, group, minutes });

/** The group's row of XINFO GROUPS read straight from Redis. */
async function groupRow(stream: string, group = "g"): Promise<Record<string, unknown>> {
  const rows = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
  const pairs = rows.map((r) =>
    Object.fromEntries(r.flatMap((v, i) => (i % 2 ? [] : [[v, r[i + 1]]]))),
  );
  return pairs.find((p) => p.name === group) ?? {};
}

/** 30 entries, 10 read by the group (pending), 2 dead letters. */
async function busy(stream: string): Promise<void> {
  await fill(d, stream, 30);
  await d.sendCommand(["XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", stream, ">"]);
  await add(d, `${stream}:dlq`, 2);
}

describe("recordSnapshot", () => {
  it("shows the XLEN a direct connection reads", async () => {
    const stream = ks.key("s");
    await busy(stream);
    const s = await record(stream);
    expect(s.length).toBe(await d.xLen(stream));
  });

  it("shows the pending count and lag of XINFO GROUPS read directly", async () => {
    const stream = ks.key("s");
    await busy(stream);
    const row = await groupRow(stream);
    const s = await record(stream);
    expect({ pending: s.pending, backlog: s.backlog }).toEqual({
      pending: row.pending,
      backlog: row.lag,
    });
  });

  it("shows the dead-letter stream's length", async () => {
    const stream = ks.key("s");
    await busy(stream);
    expect((await record(stream)).dlq).toBe(2);
  });

  it("counts the backlog after the last-delivered-id where XINFO GROUPS has no lag", async () => {
    const stream = ks.key("s");
    const ids = await add(d, stream, 10);
    await d.sendCommand(["XGROUP", "CREATE", stream, "g", ids[6] ?? ""]);
    expect((await groupRow(stream)).lag).toBeNull();
    expect((await record(stream)).backlog).toBe(3);
  });

  it("records a group that does not exist with an unknown backlog", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 3);
    const s = await record(stream, { group: "other" });
    expect({ length: s.length, pending: s.pending, backlog: s.backlog }).toEqual({
      length: 3,
      pending: 0,
      backlog: null,
    });
  });

  it("records a stream that does not exist with length 0 and an unknown backlog", async () => {
    const s = await record(ks.key("missing"));
    expect({ length: s.length, pending: s.pending, backlog: s.backlog }).toEqual({
      length: 0,
      pending: 0,
      backlog: null,
    });
  });

  it("merges two records of the same minute into one entry, counters summed", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 1);
    await record(stream, { record: drained(5, 4), now: T + 1_000 });
    await record(stream, { record: drained(3, 3), now: T + 59_000 });
    const { snapshots } = await history(stream);
    expect(snapshots).toEqual([
      expect.objectContaining({ t: T, read: 8, acked: 7, failed: 0, jobs: 2 }),
    ]);
  });

  it("takes the gauges of a merged minute from its last record", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 1);
    await record(stream);
    await add(d, stream, 4);
    await record(stream, { now: T + 30_000 });
    const { snapshots } = await history(stream);
    expect(snapshots.map((s) => [s.length, s.backlog])).toEqual([[5, 5]]);
  });

  it("makes one entry per minute, read back oldest first", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 1);
    for (const minute of [0, 1, 3]) {
      await record(stream, { record: drained(minute + 1), now: T + minute * MIN });
    }
    const { snapshots } = await history(stream);
    expect(snapshots.map((s) => [s.t, s.read])).toEqual([
      [T, 1],
      [T + MIN, 2],
      [T + 3 * MIN, 4],
    ]);
  });

  it("keeps only the newest `keep` minutes", async () => {
    const stream = ks.key("s");
    for (let minute = 0; minute < 5; minute++) {
      await record(stream, { now: T + minute * MIN, keep: 3 });
    }
    const { snapshots } = await history(stream);
    expect(snapshots.map((s) => s.t)).toEqual([T + 2 * MIN, T + 3 * MIN, T + 4 * MIN]);
  });

  it("costs one request", async () => {
    const stream = ks.key("s");
    await record(stream);
    const budget = new RequestBudget();
    await record(stream, { budget });
    expect(budget.used).toBe(1);
  });

  it("refuses to keep 0 snapshots", async () => {
    await expect(record(ks.key("s"), { keep: 0 })).rejects.toThrow(ConfigError);
  });

  it("fails with a RedisCommandError when the history key is not a list", async () => {
    const stream = ks.key("s");
    await d.set(streamKeys(stream, "g").history, "x");
    await expect(record(stream)).rejects.toThrow(RedisCommandError);
  });
});

describe("readHistory", () => {
  it("reads back the last drain and the last sweep", async () => {
    const stream = ks.key("s");
    const drain = drained(5, 5, "cron-a");
    const sweep = { ...drained(2, 1, "cron-b"), job: "sweep" as const, error: "XACK failed: ERR" };
    await record(stream, { record: drain });
    await record(stream, { record: sweep });
    const h = await history(stream);
    expect({ lastDrain: h.lastDrain, lastSweep: h.lastSweep }).toEqual({
      lastDrain: drain,
      lastSweep: sweep,
    });
  });

  it("answers nothing for a group never recorded", async () => {
    expect(await history(ks.key("s"))).toEqual({
      snapshots: [],
      lastDrain: null,
      lastSweep: null,
      requests: 1,
    });
  });

  it("reads only the newest `minutes` snapshots", async () => {
    const stream = ks.key("s");
    for (let minute = 0; minute < 4; minute++) {
      await record(stream, { now: T + minute * MIN });
    }
    const { snapshots } = await history(stream, 2);
    expect(snapshots.map((s) => s.t)).toEqual([T + 2 * MIN, T + 3 * MIN]);
  });

  it("reads no snapshots with minutes 0, the last jobs still", async () => {
    const stream = ks.key("s");
    await record(stream);
    const h = await history(stream, 0);
    expect({ snapshots: h.snapshots, drain: h.lastDrain?.job }).toEqual({
      snapshots: [],
      drain: "drain",
    });
  });

  it("costs one request", async () => {
    const stream = ks.key("s");
    await record(stream);
    const budget = new RequestBudget();
    await readHistory({ redis, stream, group: "g", budget });
    expect(budget.used).toBe(1);
  });
});

describe("recordJob", () => {
  it("keeps the report of an idle job without a snapshot, in one request", async () => {
    const stream = ks.key("s");
    const budget = new RequestBudget();
    await recordJob({ redis, stream, group: "g", record: drained(0), budget });
    const history = await readHistory({ redis, stream, group: "g" });
    expect(budget.used).toBe(1);
    expect(history.snapshots).toEqual([]);
    expect(history.lastDrain).toEqual(drained(0));
  });
});

describe("isIdleJob", () => {
  it("calls a job idle when it read, settled and failed nothing", () => {
    expect(isIdleJob(drained(0))).toBe(true);
  });

  it("calls a job that read something busy", () => {
    expect(isIdleJob(drained(1, 0))).toBe(false);
  });

  it("calls a job that reported an error busy, so the error shows", () => {
    expect(isIdleJob({ ...drained(0), error: "NOGROUP" })).toBe(false);
  });
});

describe("storage", () => {
  it("keeps 24 h of busy minutes under 100 KB", { timeout: 120_000 }, async () => {
    const stream = ks.key("s");
    // Five- and four-digit gauges and counters: a busy group's minute.
    await fill(d, stream, 12_345);
    await d.sendCommand(["XREADGROUP", "GROUP", "g", "c", "COUNT", "2000", "STREAMS", stream, ">"]);
    await add(d, `${stream}:dlq`, 120);
    const busyMinute = { ...drained(4000, 3990), failed: 10, deadLettered: 2 };
    const minutes = Array.from({ length: 1440 }, (_, i) => i);
    for (let i = 0; i < minutes.length; i += 48) {
      await Promise.all(
        minutes
          .slice(i, i + 48)
          .map((m) => record(stream, { record: busyMinute, now: T + m * MIN })),
      );
    }
    const key = streamKeys(stream, "g").history;
    const lines = (await d.lRange(key, 0, -1)) as string[];
    const bytes = Number(await d.sendCommand(["MEMORY", "USAGE", key, "SAMPLES", "0"]));
    const text = lines.reduce((n, line) => n + line.length, 0);
    console.log(`history: ${lines.length} snapshots, ${text} bytes of text, MEMORY USAGE ${bytes}`);
    expect(lines).toHaveLength(1440);
    expect(bytes).toBeLessThan(100_000);
  });
});
