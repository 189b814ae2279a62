import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { startBridge } from "../../dev/bridge/server";
import { upstash, useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";
import { freePort, startRedisServer } from "../setup/find-redis";

const ks = useKeyspace("protocol");
const { d } = ks;
const redis = () => upstash({ base64: true });

function post(path: string, body: string, token = inject("bridgeToken")) {
  return fetch(`${inject("bridgeUrl")}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  });
}

describe("values", () => {
  it("round-trips unicode, emoji and binary-looking strings byte for byte", async () => {
    const samples = [
      "héllo wörld",
      "🚀 ✓ 日本語",
      "\u0000\u0001\u00ff",
      "T0s=",
      "abcd",
      "OK",
      "",
      " ",
    ];
    for (const [i, value] of samples.entries()) {
      await redis().set(ks.key(`s${i}`), value);
      expect(await redis().get(ks.key(`s${i}`))).toBe(value);
      expect(await d.get(ks.key(`s${i}`))).toBe(value);
    }
  });

  it("keeps numeric-looking strings as strings", async () => {
    await redis().set(ks.key("n"), "007");
    expect(await redis().get(ks.key("n"))).toBe("007");
    expect(await redis().exec(["GET", ks.key("n")])).toBe("007");
  });

  it("returns integers as numbers and nil as null", async () => {
    expect(await redis().incr(ks.key("i"))).toBe(1);
    expect(await redis().get(ks.key("missing"))).toBeNull();
  });

  it('encodes "OK" nested in arrays so the client decodes it back', async () => {
    await d.hSet(ks.key("h"), { OK: "OK", abcd: "abcd" });
    const viaBridge = await redis().exec<string[]>(["HGETALL", ks.key("h")]);
    const truth = (await d.sendCommand(["HGETALL", ks.key("h")])) as string[];
    expect(viaBridge).toEqual(truth);
  });

  it("returns nested arrays in the shape Redis sends them", async () => {
    await d.sendCommand(["XADD", ks.key("s"), "1-1", "f", "v"]);
    const viaBridge = await redis().exec(["XRANGE", ks.key("s"), "-", "+"]);
    expect(viaBridge).toEqual([["1-1", ["f", "v"]]]);
  });

  it("answers in plain JSON when the client does not ask for base64", async () => {
    const plain = upstash({ base64: false });
    await plain.set(ks.key("p"), "héllo");
    expect(await plain.get(ks.key("p"))).toBe("héllo");
  });
});

describe("errors", () => {
  it("passes a Redis error through verbatim with status 400", async () => {
    await d.set(ks.key("str"), "x");
    const res = await post("/", JSON.stringify(["XLEN", ks.key("str")]));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "WRONGTYPE Operation against a key holding the wrong kind of value",
    });
  });

  it("makes the client throw with the Redis message", async () => {
    await d.set(ks.key("str"), "x");
    await expect(redis().xlen(ks.key("str"))).rejects.toThrow(/^WRONGTYPE/);
  });

  it("keeps BUSYGROUP readable for callers that tolerate it", async () => {
    const args = { type: "CREATE", group: "g", id: "$", options: { MKSTREAM: true } } as const;
    await redis().xgroup(ks.key("s"), args);
    await expect(redis().xgroup(ks.key("s"), args)).rejects.toThrow(/BUSYGROUP/);
  });

  it.each([
    ["malformed JSON", '["GET"', /not valid JSON/],
    ["a non-array body", '{"cmd":"GET"}', /must be a JSON array/],
    ["an empty command", "[]", /empty/],
    ["a null argument", '["GET", null]', /argument 1 is null/],
    ["an object argument", '["GET", {"a":1}]', /argument 1 must be a string or number/],
    [
      "XREADGROUP with BLOCK",
      '["XREADGROUP","GROUP","g","c","BLOCK",0,"STREAMS","s",">"]',
      /BLOCK/,
    ],
    ["a blocking list pop", '["BLPOP","k",0]', /not supported/],
    ["MULTI on a shared connection", '["MULTI"]', /not supported/],
  ])("refuses %s with 400 and a clear message", async (_label, body, message) => {
    const res = await post("/", body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it.each([
    ["CLIENT REPLY OFF", ["CLIENT", "REPLY", "OFF"], "CLIENT REPLY"],
    ["SYNC", ["SYNC"], "SYNC"],
  ])("refuses %s and keeps answering on its only connection", async (_label, command, name) => {
    const bridge = await startBridge({
      redisUrl: inject("redisUrl"),
      token: "t",
      port: 0,
      poolSize: 1,
      log: () => {},
    });
    try {
      const refused = await fetch(bridge.url, {
        method: "POST",
        headers: { authorization: "Bearer t" },
        body: JSON.stringify(command),
      });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toContain(
        `${name} is not supported`,
      );
      const r = upstash({ url: bridge.url, token: "t" });
      await r.set(ks.key("after"), "1");
      expect(await r.get(ks.key("after"))).toBe("1");
    } finally {
      await bridge.close();
    }
  });

  it("accepts the word BLOCK as a stream field value", async () => {
    const id = await redis().xadd(ks.key("s"), "*", { BLOCK: "BLOCK" });
    expect(await d.sendCommand(["XRANGE", ks.key("s"), id, id])).toEqual([
      [id, ["BLOCK", "BLOCK"]],
    ]);
  });

  it("refuses a pipeline with a malformed command without running any of it", async () => {
    const res = await post(
      "/pipeline",
      JSON.stringify([
        ["SET", ks.key("a"), "1"],
        ["GET", null],
      ]),
    );
    expect(res.status).toBe(400);
    expect(await d.exists(ks.key("a"))).toBe(0);
  });
});

describe("auth", () => {
  it.each([
    ["a missing", undefined],
    ["a wrong", "nope"],
  ])("answers 401 to %s token", async (_label, token) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const res = await fetch(inject("bridgeUrl"), { method: "POST", headers, body: '["PING"]' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "Unauthorized: missing or invalid bearer token" });
  });

  it.each([
    ["no", undefined],
    ["a wrong", "nope"],
  ])("answers 401 to /__bridge/stats with %s token", async (_label, token) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const res = await fetch(`${inject("bridgeUrl")}/__bridge/stats`, { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "Unauthorized: missing or invalid bearer token" });
  });

  it("makes the client throw on a wrong token", async () => {
    await expect(upstash({ token: "wrong" }).ping()).rejects.toThrow(/Unauthorized/);
  });

  it("answers 405 to GET and 404 to unknown paths", async () => {
    expect((await fetch(inject("bridgeUrl"))).status).toBe(405);
    expect((await post("/nope", "[]")).status).toBe(404);
  });
});

describe("pipeline and multi-exec", () => {
  it("runs a pipeline in order and keeps going past a failing command", async () => {
    const p = redis().pipeline();
    p.set(ks.key("a"), "1");
    p.xlen(ks.key("a"));
    p.incr(ks.key("a"));
    p.get(ks.key("a"));
    const out = await p.exec({ keepErrors: true });
    expect(out.map((o) => o.error ?? o.result)).toEqual([
      "OK",
      "WRONGTYPE Operation against a key holding the wrong kind of value",
      2,
      "2",
    ]);
  });

  it("makes a plain pipeline exec throw naming the failed command", async () => {
    await d.set(ks.key("a"), "x");
    const p = redis().pipeline();
    p.get(ks.key("a"));
    p.xlen(ks.key("a"));
    await expect(p.exec()).rejects.toThrow(/Command 2 .*WRONGTYPE/);
  });

  it("runs multi-exec as one transaction with per-command results", async () => {
    const tx = redis().multi();
    tx.set(ks.key("a"), "x");
    tx.lpush(ks.key("a"), "y");
    tx.get(ks.key("a"));
    const out = await tx.exec({ keepErrors: true });
    expect(out.map((o) => o.error ?? o.result)).toEqual([
      "OK",
      "WRONGTYPE Operation against a key holding the wrong kind of value",
      "x",
    ]);
  });

  it("discards a transaction with a command that cannot be queued", async () => {
    const res = await post("/multi-exec", JSON.stringify([["SET", ks.key("a"), "1"], ["INCR"]]));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^EXECABORT/);
    expect(await d.exists(ks.key("a"))).toBe(0);
  });
});

describe("scripts", () => {
  it("runs eval with keys and args", async () => {
    const out = await redis().eval("return {KEYS[1], ARGV[1], 7}", [ks.key("k")], ["välue"]);
    expect(out).toEqual([ks.key("k"), "välue", 7]);
  });

  it("answers NOSCRIPT verbatim so the client falls back to EVAL for a script Redis lacks", async () => {
    // A source of its own instead of SCRIPT FLUSH: the Redis is shared with files counting
    // their requests, and a flush turns their EVALSHA into EVALSHA+EVAL.
    const script = redis().createScript<string>(`return "rsw-${randomUUID()}"`);
    await expect(redis().evalsha(script.sha1, [], [])).rejects.toThrow(/NOSCRIPT/);
    expect(await script.exec([], [])).toMatch(/^rsw-/);
    expect(await redis().evalsha(script.sha1, [], [])).toMatch(/^rsw-/);
  });
});

describe("test knobs and resilience", () => {
  it("counts requests and commands in /__bridge/stats", async () => {
    const bridge = await startBridge({
      redisUrl: inject("redisUrl"),
      token: "t",
      port: 0,
      log: () => {},
    });
    try {
      const r = upstash({ url: bridge.url, token: "t" });
      await r.ping();
      const p = r.pipeline();
      p.ping();
      p.ping();
      await p.exec();
      const res = await fetch(`${bridge.url}/__bridge/stats`, {
        headers: { authorization: "Bearer t" },
      });
      expect(await res.json()).toMatchObject({
        requests: 2,
        commands: 3,
        faults: 0,
        faultsAfter: 0,
        redis: "up",
      });
    } finally {
      await bridge.close();
    }
  });

  it("answers 500 without running the command when a fault is injected", async () => {
    const bridge = await startBridge({
      redisUrl: inject("redisUrl"),
      token: "t",
      port: 0,
      faultRate: 1,
      log: () => {},
    });
    try {
      const r = upstash({ url: bridge.url, token: "t" });
      await expect(r.set(ks.key("a"), "1")).rejects.toThrow(/injected fault/);
      expect(await d.exists(ks.key("a"))).toBe(0);
      expect(bridge.stats().faults).toBe(1);
    } finally {
      await bridge.close();
    }
  });

  it("adds the configured latency to every request", async () => {
    const bridge = await startBridge({
      redisUrl: inject("redisUrl"),
      token: "t",
      port: 0,
      latencyMs: 150,
      log: () => {},
    });
    try {
      const started = performance.now();
      await upstash({ url: bridge.url, token: "t" }).ping();
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await bridge.close();
    }
  });

  it("answers 503 while Redis is down and recovers when it is back", async () => {
    const port = await freePort();
    let server = await startRedisServer(port);
    const bridge = await startBridge({ redisUrl: server.url, token: "t", port: 0, log: () => {} });
    const r = upstash({ url: bridge.url, token: "t" });
    try {
      expect(await waitFor(() => r.ping())).toBe("PONG");
      await server.stop();
      const res = await fetch(bridge.url, {
        method: "POST",
        headers: { authorization: "Bearer t" },
        body: '["PING"]',
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toMatch(/Redis/);
      server = await startRedisServer(port);
      expect(await waitFor(() => r.ping())).toBe("PONG");
    } finally {
      await bridge.close();
      await server.stop();
    }
  });
});

async function waitFor<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) {
        throw e;
      }
      await sleep(50);
    }
  }
}
