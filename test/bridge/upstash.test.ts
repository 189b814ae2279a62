/**
 * The bridge's `upstash` profile on the real Redis: the per-consumer PEL cap, XINFO GROUPS
 * without the Redis 7.0 fields, the request-size cap; and, for every profile, a reply lost
 * after its request ran.
 */
import { describe, expect, inject, it } from "vitest";
import { type Bridge, startBridge } from "../../dev/bridge/server";
import { useBridge } from "../helpers/own-bridge";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("upstash-profile");
const { d } = ks;

type Answer = { status: number; body: unknown };

async function post(bridge: Bridge, path: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${bridge.url}${path}`, {
    method: "POST",
    headers: { authorization: "Bearer t", "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A stream of `n` entries 1-0..n-0 and the group `g` at its start. */
async function stream(name: string, n: number): Promise<string> {
  const key = ks.key(name);
  for (let i = 1; i <= n; i++) {
    await d.xAdd(key, `${i}-0`, { f: `v${i}` });
  }
  await d.sendCommand(["XGROUP", "CREATE", key, "g", "0", "MKSTREAM"]);
  return key;
}

const read = (
  key: string,
  count: number | null,
  consumer = "c",
  id = ">",
): [string, ...string[]] => [
  "XREADGROUP",
  "GROUP",
  "g",
  consumer,
  ...(count === null ? [] : ["COUNT", String(count)]),
  "STREAMS",
  key,
  id,
];

/** Upstash's refusal, numbers and names filled in. */
function refused(limit: number, pending: number, requested: number, key: string, consumer = "c") {
  return (
    "ERR XReadGroup is cancelled. Pending Entries List limit per consumer is about to be " +
    `reached. Limit: ${limit}, Current PEL size: ${pending}, Requested Read: ${requested}, ` +
    `Key: ${key}, Group: g, Consumer: ${consumer}.`
  );
}

async function pendingOf(key: string): Promise<number> {
  const summary = (await d.sendCommand(["XPENDING", key, "g"])) as [number, ...unknown[]];
  return summary[0];
}

/** How many entries an XREADGROUP result carries, over all its streams. */
function delivered(result: unknown): number {
  const streams = (result ?? []) as [string, unknown[]][];
  return streams.reduce((n, [, entries]) => n + entries.length, 0);
}

describe("the per-consumer PEL cap", () => {
  const bridge = useBridge({ profile: "upstash", pelLimit: 5 });

  it("refuses a read that would take the consumer past the cap with Upstash's message, delivering nothing", async () => {
    const key = await stream("s", 10);
    const first = await post(bridge(), "/", read(key, 3));
    expect(delivered((first.body as { result: unknown }).result)).toBe(3);
    const second = await post(bridge(), "/", read(key, 3));
    expect(second).toEqual({ status: 400, body: { error: refused(5, 3, 3, key) } });
    expect(await pendingOf(key)).toBe(3);
  });

  it("lets a read fill the consumer's pending entries up to the cap exactly", async () => {
    const key = await stream("s", 10);
    await post(bridge(), "/", read(key, 3));
    const fill = await post(bridge(), "/", read(key, 2));
    expect(delivered((fill.body as { result: unknown }).result)).toBe(2);
    expect(await pendingOf(key)).toBe(5);
  });

  it("counts only the reading consumer's own pending entries", async () => {
    const key = await stream("s", 10);
    await post(bridge(), "/", read(key, 5));
    const other = await post(bridge(), "/", read(key, 5, "c2"));
    expect(delivered((other.body as { result: unknown }).result)).toBe(5);
  });

  it("checks a read in a pipeline after the commands before it, such as the acks", async () => {
    const key = await stream("s", 10);
    await post(bridge(), "/", read(key, 5));
    const out = await post(bridge(), "/pipeline", [["XACK", key, "g", "1-0", "2-0"], read(key, 2)]);
    expect(out.status).toBe(200);
    const [ack, next] = out.body as [{ result: number }, { result: unknown }];
    expect(ack.result).toBe(2);
    expect(delivered(next.result)).toBe(2);
  });

  it("refuses in a pipeline as that command's error and runs the rest", async () => {
    const key = await stream("s", 10);
    const flag = ks.key("flag");
    const out = await post(bridge(), "/pipeline", [
      ["SET", flag, "1"],
      read(key, 6),
      ["GET", flag],
    ]);
    expect(out).toEqual({
      status: 200,
      body: [{ result: "OK" }, { error: refused(5, 0, 6, key) }, { result: "1" }],
    });
  });

  it("refuses in a transaction as that command's error and commits the rest", async () => {
    const key = await stream("s", 10);
    const flag = ks.key("flag");
    const out = await post(bridge(), "/multi-exec", [read(key, 6), ["SET", flag, "1"]]);
    expect(out).toEqual({
      status: 200,
      body: [{ error: refused(5, 0, 6, key) }, { result: "OK" }],
    });
    expect(await d.get(flag)).toBe("1");
  });

  it("refuses a read without COUNT when what it would deliver passes the cap, counting one past the room left", async () => {
    const key = await stream("s", 10);
    await post(bridge(), "/", read(key, 2));
    expect(await post(bridge(), "/", read(key, null))).toEqual({
      status: 400,
      body: { error: refused(5, 2, 4, key) },
    });
  });

  it("serves a read without COUNT when everything it would deliver fits", async () => {
    const key = await stream("s", 4);
    await post(bridge(), "/", read(key, 1));
    const rest = await post(bridge(), "/", read(key, null));
    expect(delivered((rest.body as { result: unknown }).result)).toBe(3);
  });

  it("does not cap NOACK reads or re-reads of the consumer's own pending entries", async () => {
    const key = await stream("s", 10);
    await post(bridge(), "/", read(key, 5));
    const noAck = ["XREADGROUP", "GROUP", "g", "c", "COUNT", "3", "NOACK", "STREAMS", key, ">"];
    expect(delivered(((await post(bridge(), "/", noAck)).body as { result: unknown }).result)).toBe(
      3,
    );
    const own = await post(bridge(), "/", read(key, 10, "c", "0"));
    expect(delivered((own.body as { result: unknown }).result)).toBe(5);
  });

  it("checks every stream of a multi-stream read and names the one over the cap", async () => {
    const a = await stream("a", 10);
    const b = await stream("b", 10);
    await post(bridge(), "/", read(b, 4));
    const both = ["XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", a, b, ">", ">"];
    expect(await post(bridge(), "/", both)).toEqual({
      status: 400,
      body: { error: refused(5, 4, 2, b) },
    });
    expect(await pendingOf(a)).toBe(0);
  });

  it("answers Redis's own error verbatim for a missing group", async () => {
    const key = ks.key("nothing");
    const direct = await d.sendCommand(read(key, 1)).catch((e: Error) => e.message);
    expect(direct).toMatch(/^NOGROUP/);
    expect(await post(bridge(), "/", read(key, 1))).toEqual({
      status: 400,
      body: { error: direct },
    });
  });

  it("returns the entries exactly as Redis does, deleted ones included", async () => {
    const key = await stream("s", 3);
    await post(bridge(), "/", read(key, 3));
    await d.xDel(key, "2-0");
    const direct = await d.sendCommand(read(key, 3, "c", "0"));
    const via = await upstash({ url: bridge().url, token: "t" }).exec(read(key, 3, "c", "0"));
    expect(via).toEqual(direct);
    expect(via).toEqual([
      [
        key,
        [
          ["1-0", ["f", "v1"]],
          ["2-0", null],
          ["3-0", ["f", "v3"]],
        ],
      ],
    ]);
  });
});

describe("the PEL cap's default", () => {
  const bridge = useBridge({ profile: "upstash" });

  it("is Upstash's 1,000 entries", async () => {
    const key = await stream("s", 1001);
    const full = await post(bridge(), "/", read(key, 1000));
    expect(delivered((full.body as { result: unknown }).result)).toBe(1000);
    expect(await post(bridge(), "/", read(key, 1))).toEqual({
      status: 400,
      body: { error: refused(1000, 1000, 1, key) },
    });
  });
});

describe("the redis profile", () => {
  const bridge = useBridge({ profile: "redis", pelLimit: 5 });

  it("caps nothing and keeps Redis 7.0's group fields", async () => {
    const key = await stream("s", 10);
    expect(
      delivered(((await post(bridge(), "/", read(key, 10))).body as { result: unknown }).result),
    ).toBe(10);
    const groups = (await post(bridge(), "/", ["XINFO", "GROUPS", key])).body as {
      result: unknown[][];
    };
    expect(groups.result[0]).toContain("lag");
  });
});

describe("XINFO GROUPS under the upstash profile", () => {
  const bridge = useBridge({ profile: "upstash" });

  /** Redis's own reply without the Redis 7.0 pairs. */
  async function expected(key: string): Promise<unknown[][]> {
    const groups = (await d.sendCommand(["XINFO", "GROUPS", key])) as unknown[][];
    return groups.map((group) => {
      const kept: unknown[] = [];
      for (let i = 0; i < group.length; i += 2) {
        if (group[i] !== "entries-read" && group[i] !== "lag") {
          kept.push(group[i], group[i + 1]);
        }
      }
      return kept;
    });
  }

  it("answers without entries-read and lag, alone, in a pipeline and in a transaction", async () => {
    const key = await stream("s", 3);
    await d.sendCommand(["XGROUP", "CREATE", key, "g2", "$"]);
    await post(bridge(), "/", read(key, 2));
    const want = await expected(key);
    expect(want).toHaveLength(2);
    expect(JSON.stringify(want)).not.toMatch(/entries-read|"lag"/);
    const command = ["XINFO", "GROUPS", key];
    expect((await post(bridge(), "/", command)).body).toEqual({ result: want });
    expect((await post(bridge(), "/pipeline", [command])).body).toEqual([{ result: want }]);
    expect((await post(bridge(), "/multi-exec", [command])).body).toEqual([{ result: want }]);
  });
});

describe("the request-size cap", () => {
  const bridge = useBridge({ profile: "upstash", maxRequestBytes: 200 });

  /** A SET command whose JSON body is exactly `bytes` long. */
  function setBody(key: string, bytes: number): string {
    const bare = JSON.stringify(["SET", key, ""]);
    return JSON.stringify(["SET", key, "x".repeat(bytes - bare.length)]);
  }

  it("answers 413 in Upstash's words with the limit and the size, running nothing", async () => {
    const key = ks.key("big");
    const body = setBody(key, 201);
    expect(Buffer.byteLength(body)).toBe(201);
    expect(await post(bridge(), "/", body)).toEqual({
      status: 413,
      body: { error: "ERR max request size exceeded. Limit: 200 bytes, Actual: 201 bytes" },
    });
    const pipeline = `[${setBody(key, 199)}]`; // 201 bytes
    expect((await post(bridge(), "/pipeline", pipeline)).status).toBe(413);
    expect(await d.exists(key)).toBe(0);
  });

  it("serves a body of exactly the limit", async () => {
    const key = ks.key("fits");
    expect(await post(bridge(), "/", setBody(key, 200))).toEqual({
      status: 200,
      body: { result: "OK" },
    });
  });
});

describe("a reply lost after its request ran", () => {
  const bridge = useBridge({ profile: "upstash", faultAfterRate: 1 });

  it("answers 500 after running every command, counted as faultsAfter", async () => {
    bridge().resetStats();
    const a = ks.key("a");
    const b = ks.key("b");
    const out = await post(bridge(), "/pipeline", [
      ["SET", a, "1"],
      ["SET", b, "2"],
    ]);
    expect(out.status).toBe(500);
    expect((out.body as { error: string }).error).toMatch(
      /BRIDGE_FAULT_AFTER_RATE.*reply was lost/,
    );
    expect([await d.get(a), await d.get(b)]).toEqual(["1", "2"]);
    expect(bridge().stats()).toMatchObject({ faults: 0, faultsAfter: 1, errors: 1 });
  });

  it("makes the client throw although the command was applied", async () => {
    const key = ks.key("k");
    await expect(upstash({ url: bridge().url, token: "t" }).incr(key)).rejects.toThrow(
      /reply was lost/,
    );
    expect(await d.get(key)).toBe("1");
  });

  it("follows knobs.faultAfterRate turned while the bridge runs", async () => {
    const key = ks.key("k");
    const r = upstash({ url: bridge().url, token: "t" });
    bridge().knobs.faultAfterRate = 0;
    try {
      expect(await r.incr(key)).toBe(1);
    } finally {
      bridge().knobs.faultAfterRate = 1;
    }
    await expect(r.incr(key)).rejects.toThrow(/reply was lost/);
    expect(await d.get(key)).toBe("2");
  });
});

it("logs its profile and limits when it starts", async () => {
  const events: Record<string, unknown>[] = [];
  const bridge = await startBridge({
    redisUrl: inject("redisUrl"),
    token: "t",
    port: 0,
    profile: "upstash",
    log: (e) => events.push(e),
  });
  await bridge.close();
  expect(events.find((e) => e.event === "bridge_started")).toMatchObject({
    profile: "upstash",
    maxRequestBytes: 10_485_760,
    pelLimit: 1000,
    faultRate: 0,
    faultAfterRate: 0,
  });
});
