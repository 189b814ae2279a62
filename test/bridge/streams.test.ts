/**
 * Every stream command the project uses, through @upstash/redis and the shared bridge (the
 * `upstash` profile), compared with the same command on a mirror key sent straight to Redis.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("streams");
const { d } = ks;
let redis: Redis;
/** The key used through the bridge and its mirror used directly. */
let a: string;
let b: string;

beforeEach(() => {
  a = ks.key("a");
  b = ks.key("b");
});

/** Sends the command to Redis directly, with the bridge key swapped for the mirror. */
async function truth(args: (string | number)[]): Promise<unknown> {
  const reply = await d.sendCommand(args.map((x) => (x === a ? b : String(x))));
  return JSON.parse(JSON.stringify(reply).replaceAll(b, a));
}

/** Same entries on both keys, explicit ids so replies can be compared. */
async function populate(n = 3, fields: Record<string, string> = { f: "v" }): Promise<void> {
  for (let i = 1; i <= n; i++) {
    const flat = Object.entries(fields).flatMap(([k, v]) => [k, `${v}${i}`]);
    expect(await redis.exec(["XADD", a, `${i}-0`, ...flat])).toBe(
      await truth(["XADD", a, `${i}-0`, ...flat]),
    );
  }
}

/**
 * XINFO GROUPS straight from Redis, without the Redis 7.0 pairs (entries-read, lag) the
 * `upstash` profile leaves out, as Upstash does.
 */
async function groupsTruth(): Promise<unknown> {
  const groups = (await truth(["XINFO", "GROUPS", a])) as unknown[][];
  return groups.map((g) => {
    const kept: unknown[] = [];
    for (let i = 0; i < g.length; i += 2) {
      if (g[i] !== "entries-read" && g[i] !== "lag") {
        kept.push(g[i], g[i + 1]);
      }
    }
    return kept;
  });
}

async function group(name = "g", id = "0"): Promise<void> {
  await redis.xgroup(a, { type: "CREATE", group: name, id, options: { MKSTREAM: true } });
  await truth(["XGROUP", "CREATE", a, name, id, "MKSTREAM"]);
}

async function readBoth(consumer: string, count = 10): Promise<unknown> {
  const got = await redis.xreadgroup("g", consumer, a, ">", { count });
  expect(got).toEqual(
    await truth(["XREADGROUP", "GROUP", "g", consumer, "COUNT", count, "STREAMS", a, ">"]),
  );
  return got;
}

/** Idle times differ by a few ms between the two keys: compare everything else. */
function withoutIdle(rows: unknown): unknown {
  return (rows as unknown[][]).map((r) => [r[0], r[1], typeof r[2], r[3]]);
}

describe.each([
  ["base64", true],
  ["plain JSON", false],
])("stream commands through the bridge equal a direct connection (%s replies)", (_, base64) => {
  beforeAll(() => {
    redis = upstash({ base64 });
  });

  it("xadd returns the id and keeps values with unicode, JSON text and leading zeros", async () => {
    const fields = { amount: "007", note: '{"a":1}', name: "Zoë 🚀", empty: "" };
    const id = await redis.xadd(a, "5-1", fields);
    expect(id).toBe("5-1");
    await truth(["XADD", a, "5-1", ...Object.entries(fields).flat()]);
    expect(await redis.exec(["XRANGE", a, "-", "+"])).toEqual(await truth(["XRANGE", a, "-", "+"]));
  });

  it("xgroup create with MKSTREAM creates the stream", async () => {
    await group();
    expect(await redis.xlen(a)).toBe(0);
    expect(await redis.xinfo(a, { type: "GROUPS" })).toEqual(await groupsTruth());
  });

  it("xgroup setid moves last-delivered-id", async () => {
    await populate();
    await group("g", "$");
    expect(await redis.xgroup(a, { type: "SETID", group: "g", id: "0" })).toBe("OK");
    await truth(["XGROUP", "SETID", a, "g", "0"]);
    expect(await redis.xinfo(a, { type: "GROUPS" })).toEqual(await groupsTruth());
  });

  it("xgroup createconsumer and delconsumer return counts", async () => {
    await populate();
    await group();
    expect(await redis.xgroup(a, { type: "CREATECONSUMER", group: "g", consumer: "c1" })).toBe(1);
    await truth(["XGROUP", "CREATECONSUMER", a, "g", "c1"]);
    await readBoth("c1", 2);
    const deleted = await redis.xgroup(a, { type: "DELCONSUMER", group: "g", consumer: "c1" });
    expect(deleted).toBe(2);
    expect(deleted).toBe(await truth(["XGROUP", "DELCONSUMER", a, "g", "c1"]));
  });

  it("xgroup destroy removes the group", async () => {
    await group();
    expect(await redis.xgroup(a, { type: "DESTROY", group: "g" })).toBe(1);
    expect(await truth(["XGROUP", "DESTROY", a, "g"])).toBe(1);
  });

  it("xreadgroup returns the raw [[stream, entries]] shape, and null when nothing is new", async () => {
    await populate(2);
    await group();
    expect(await readBoth("c")).toEqual([
      [
        a,
        [
          ["1-0", ["f", "v1"]],
          ["2-0", ["f", "v2"]],
        ],
      ],
    ]);
    expect(await readBoth("c")).toBeNull();
  });

  it("xreadgroup with id 0 returns the consumer's own pending entries", async () => {
    await populate(2);
    await group();
    await readBoth("c");
    const pending = await redis.xreadgroup("g", "c", a, "0");
    expect(pending).toEqual(await truth(["XREADGROUP", "GROUP", "g", "c", "STREAMS", a, "0"]));
  });

  it("xreadgroup with NOACK leaves nothing pending", async () => {
    await populate(2);
    await group();
    await redis.xreadgroup("g", "c", a, ">", { NOACK: true });
    await truth(["XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", a, ">"]);
    expect(await redis.exec(["XPENDING", a, "g"])).toEqual([0, null, null, null]);
  });

  it("xack acknowledges many ids in one call", async () => {
    await populate(3);
    await group();
    await readBoth("c");
    expect(await redis.xack(a, "g", ["1-0", "2-0", "9-0"])).toBe(2);
    expect(await truth(["XACK", a, "g", "1-0", "2-0", "9-0"])).toBe(2);
  });

  it("xpending summary works through exec (the client has no summary form)", async () => {
    await populate(3);
    await group();
    await readBoth("c");
    const summary = await redis.exec(["XPENDING", a, "g"]);
    expect(summary).toEqual([3, "1-0", "3-0", [["c", "3"]]]);
    expect(summary).toEqual(await truth(["XPENDING", a, "g"]));
  });

  it("xpending extended with IDLE returns id, consumer, idle and deliveries", async () => {
    await populate(3);
    await group();
    await readBoth("c");
    const rows = await redis.xpending(a, "g", "-", "+", 10, { idleTime: 1 });
    const direct = await truth(["XPENDING", a, "g", "IDLE", 1, "-", "+", 10]);
    expect(withoutIdle(rows)).toEqual(withoutIdle(direct));
    const viaExec = await redis.exec(["XPENDING", a, "g", "IDLE", 0, "-", "+", 10]);
    expect(withoutIdle(viaExec)).toEqual([
      ["1-0", "c", "number", 1],
      ["2-0", "c", "number", 1],
      ["3-0", "c", "number", 1],
    ]);
  });

  it("xclaim moves entries and bumps the delivery counter", async () => {
    await populate(2);
    await group();
    await readBoth("c");
    const claimed = await redis.xclaim(a, "g", "c2", 0, ["1-0", "2-0"]);
    expect(claimed).toEqual(await truth(["XCLAIM", a, "g", "c2", 0, "1-0", "2-0"]));
    const rows = await redis.exec(["XPENDING", a, "g", "-", "+", 10]);
    expect(withoutIdle(rows)).toEqual([
      ["1-0", "c2", "number", 2],
      ["2-0", "c2", "number", 2],
    ]);
  });

  it("xclaim with JUSTID returns ids and leaves the delivery counter alone", async () => {
    await populate(2);
    await group();
    await readBoth("c");
    const ids = await redis.xclaim(a, "g", "c", 0, ["1-0", "2-0"], { justId: true });
    expect(ids).toEqual(["1-0", "2-0"]);
    expect(ids).toEqual(await truth(["XCLAIM", a, "g", "c", 0, "1-0", "2-0", "JUSTID"]));
    expect(withoutIdle(await redis.exec(["XPENDING", a, "g", "-", "+", 10]))).toEqual([
      ["1-0", "c", "number", 1],
      ["2-0", "c", "number", 1],
    ]);
  });

  it("xclaim with IDLE must go through exec: the client's idleMS option sends TIME null", async () => {
    await populate(1);
    await group();
    await readBoth("c");
    // Quirk of @upstash/redis: `idleMS` pushes "TIME", options.timeMS (undefined → null).
    await expect(redis.xclaim(a, "g", "c", 0, "1-0", { idleMS: 5000 })).rejects.toThrow(/null/);
    const viaExec = await redis.exec(["XCLAIM", a, "g", "c", 0, "1-0", "IDLE", 5000, "JUSTID"]);
    expect(viaExec).toEqual(["1-0"]);
    const rows = (await redis.exec(["XPENDING", a, "g", "-", "+", 10])) as [
      string,
      string,
      number,
      number,
    ][];
    expect(rows[0]?.[2]).toBeGreaterThanOrEqual(5000);
  });

  it("xautoclaim returns [cursor, entries, deleted ids] and reports entries deleted while pending", async () => {
    await populate(3);
    await group();
    await readBoth("c");
    await redis.xdel(a, "2-0");
    await truth(["XDEL", a, "2-0"]);
    const got = await redis.xautoclaim(a, "g", "c2", 0, "0-0", { count: 10 });
    expect(got).toEqual([
      "0-0",
      [
        ["1-0", ["f", "v1"]],
        ["3-0", ["f", "v3"]],
      ],
      ["2-0"],
    ]);
    expect(got).toEqual(await truth(["XAUTOCLAIM", a, "g", "c2", 0, "0-0", "COUNT", 10]));
  });

  it("xautoclaim pages with the returned cursor", async () => {
    await populate(3);
    await group();
    await readBoth("c");
    const first = (await redis.xautoclaim(a, "g", "c2", 0, "0-0", { count: 2 })) as [
      string,
      unknown[],
      string[],
    ];
    expect(first[0]).toBe("3-0");
    expect(first).toEqual(await truth(["XAUTOCLAIM", a, "g", "c2", 0, "0-0", "COUNT", 2]));
    const second = await redis.xautoclaim(a, "g", "c2", 0, first[0], { count: 2 });
    expect(second).toEqual(["0-0", [["3-0", ["f", "v3"]]], []]);
  });

  it("xinfo groups and consumers return flat key/value arrays", async () => {
    await populate(2);
    await group();
    await readBoth("c");
    expect(await redis.xinfo(a, { type: "GROUPS" })).toEqual(await groupsTruth());
    const consumers = (await redis.xinfo(a, { type: "CONSUMERS", group: "g" })) as unknown[][];
    expect(consumers[0]?.slice(0, 4)).toEqual(["name", "c", "pending", 2]);
    const direct = (await truth(["XINFO", "CONSUMERS", a, "g"])) as unknown[][];
    expect(consumers[0]?.filter((_, i) => i % 2 === 0)).toEqual(
      direct[0]?.filter((_, i) => i % 2 === 0),
    );
  });

  it("xinfo stream works through exec (the client has no STREAM subcommand)", async () => {
    await populate(2);
    await group();
    expect(await redis.exec(["XINFO", "STREAM", a])).toEqual(await truth(["XINFO", "STREAM", a]));
  });

  it("xtrim with MINID exact and MAXLEN approximate", async () => {
    await populate(3);
    expect(await redis.xtrim(a, { strategy: "MINID", threshold: "2-0", exactness: "=" })).toBe(1);
    expect(await truth(["XTRIM", a, "MINID", "=", "2-0"])).toBe(1);
    expect(await redis.xtrim(a, { strategy: "MAXLEN", threshold: 1 })).toBe(
      await truth(["XTRIM", a, "MAXLEN", "~", 1]),
    );
    expect(await redis.xlen(a)).toBe(await truth(["XLEN", a]));
  });

  it("xdel, xlen and xrange agree", async () => {
    await populate(3);
    expect(await redis.xdel(a, ["1-0", "9-0"])).toBe(1);
    await truth(["XDEL", a, "1-0", "9-0"]);
    expect(await redis.xlen(a)).toBe(2);
    expect(await redis.exec(["XRANGE", a, "-", "+", "COUNT", 1])).toEqual(
      await truth(["XRANGE", a, "-", "+", "COUNT", 1]),
    );
    expect(await redis.exec(["XREVRANGE", a, "+", "-"])).toEqual(
      await truth(["XREVRANGE", a, "+", "-"]),
    );
  });

  it("xrange through the client's own method reshapes entries into an object", async () => {
    await populate(1, { amount: "007" });
    // With automaticDeserialization off the client returns the raw array, like exec.
    expect(await redis.xrange(a, "-", "+")).toEqual([["1-0", ["amount", "0071"]]]);
  });

  it("eval runs a script that touches a stream and a group atomically", async () => {
    await populate(1);
    await group();
    await readBoth("c");
    const script =
      "redis.call('XADD', KEYS[2], '*', 'original_id', ARGV[1]); return redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])";
    expect(await redis.eval(script, [a, `${a}:dlq`], ["1-0", "g"])).toBe(1);
    expect(await redis.xlen(`${a}:dlq`)).toBe(1);
  });
});
