import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { streamKeys } from "../../src/lib/redis/keys";
import { fill, pendingCount } from "../helpers/drain-fixture";
import { useBridge } from "../helpers/own-bridge";
import { useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";
import { startWorker } from "../helpers/worker";

const TOKEN = "fanout-admin-token";
const CONSUME = "* * * * *";
const HANDLER_MS = 20;

const ks = useKeyspace("fanout");
// Its request counter is this file's alone.
const bridge = useBridge();
const { d } = ks;
let stream: string;
let slotsKey: string;
let target: SlowTarget;
let mf: Miniflare | undefined;
let logs: string[] = [];

/** A webhook target that answers 200 after HANDLER_MS, counting the deliveries of each id. */
type SlowTarget = { url: string; seen: Map<string, number>; close(): Promise<void> };

async function startSlowTarget(): Promise<SlowTarget> {
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const { id } = JSON.parse(body) as { id: string };
      seen.set(id, (seen.get(id) ?? 0) + 1);
      setTimeout(() => res.writeHead(200).end(), HANDLER_MS);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

beforeAll(async () => {
  target = await startSlowTarget();
});
afterAll(async () => {
  await target.close();
});
beforeEach(() => {
  stream = ks.key("orders");
  slotsKey = streamKeys(stream, "g").drains;
  target.seen.clear();
});
afterEach(async () => {
  await mf?.dispose();
  mf = undefined;
});

async function worker(
  vars: Record<string, string | undefined> = {},
  self = true,
): Promise<Miniflare> {
  logs = [];
  mf = await startWorker(
    {
      UPSTASH_REDIS_REST_URL: bridge().url,
      UPSTASH_REDIS_REST_TOKEN: "t",
      STREAM: stream,
      GROUP: "g",
      ADMIN_TOKEN: TOKEN,
      TARGET_URL: target.url,
      // Drains stop soon after the stream runs dry, rather than poll on for 10 s.
      POLL_IDLE_MS: "200",
      ...vars,
    },
    logs,
    { self },
  );
  return mf;
}

type Line = { event: string; consumer?: string; read?: number; via?: string };

function lines(event: string): Line[] {
  return logs.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as Line;
      return entry.event === event ? [entry] : [];
    } catch {
      return [];
    }
  });
}

function internalDrain(m: Miniflare, headers: Record<string, string> = {}, query = "") {
  return m.dispatchFetch(`http://worker/internal/drain${query}`, { method: "POST", headers });
}

const admin = { authorization: `Bearer ${TOKEN}` };

/** Takes `n` slots directly, as drains of other invocations would hold them. */
async function holdSlots(n: number, expiresAt: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await d.zAdd(slotsKey, { score: expiresAt, value: `killed-${i}` });
  }
}

/** Samples the live slots every few ms until `job` settles; resolves with the highest count. */
async function peakSlots(job: Promise<unknown>): Promise<number> {
  let peak = 0;
  let done = false;
  const settled = job.finally(() => {
    done = true;
  });
  while (!done) {
    const live = await d.zCount(slotsKey, Date.now(), "+inf");
    peak = Math.max(peak, live);
    await sleep(10);
  }
  await settled;
  return peak;
}

/** Entry ids the group has not been delivered yet. */
async function undelivered(): Promise<string[]> {
  const groups = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
  const row = groups[0] ?? [];
  const last = String(row[row.indexOf("last-delivered-id") + 1]);
  const rest = (await d.sendCommand(["XRANGE", stream, `(${last}`, "+"])) as [string][];
  return rest.map(([id]) => id);
}

describe("POST /internal/drain", () => {
  it("answers 401 without the admin token, reading nothing", async () => {
    await fill(d, stream, 3);
    const res = await internalDrain(await worker());
    expect(res.status).toBe(401);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    expect(await undelivered()).toHaveLength(3);
  });

  it("answers 401 with a wrong token", async () => {
    const res = await internalDrain(await worker(), { authorization: "Bearer nope" });
    expect(res.status).toBe(401);
  });

  it("answers 403 when ADMIN_TOKEN is not set", async () => {
    const res = await internalDrain(await worker({ ADMIN_TOKEN: undefined }), admin);
    expect(res.status).toBe(403);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: "ADMIN_DISABLED" } });
  });

  it("runs one drain holding a slot, answers its report and frees the slot", async () => {
    await fill(d, stream, 30);
    const res = await internalDrain(await worker(), admin);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { consumer: string; read: number; acked: number };
    expect(report).toMatchObject({ read: 30, acked: 30 });
    expect(report.consumer).toMatch(/^http-/);
    expect(target.seen.size).toBe(30);
    expect(await d.zCard(slotsKey)).toBe(0);
  });

  it("answers 429 SLOTS_FULL and reads nothing when every slot is taken", async () => {
    await fill(d, stream, 3);
    await holdSlots(2, Date.now() + 60_000);
    const res = await internalDrain(await worker({ MAX_PARALLEL_DRAINS: "2" }), admin);
    expect(res.status).toBe(429);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: "SLOTS_FULL" } });
    expect(await undelivered()).toHaveLength(3);
    expect(lines("drain_skipped")).toMatchObject([{ reason: "slots_full" }]);
  });

  it("starts once the slots of killed invocations have expired, not before", async () => {
    await fill(d, stream, 3);
    const m = await worker({ MAX_PARALLEL_DRAINS: "2" });
    const expiresAt = Date.now() + 1500;
    await holdSlots(2, expiresAt);
    expect((await internalDrain(m, admin)).status).toBe(429);
    await sleep(expiresAt - Date.now() + 20);
    const res = await internalDrain(m, admin);
    expect(res.status).toBe(200);
    expect((await res.json()) as unknown).toMatchObject({ read: 3 });
  });
});

describe("fan-out of the cron drain", () => {
  /** Slow enough that one drain falls behind: 5 handlers of 20 ms, 8 s of budget (the first
   * estimate comes after 2 s, later on a loaded machine). */
  const behind = { BATCH_SIZE: "20", CONCURRENCY: "5", CRON_BUDGET_MS: "8000" };
  const N = 3000;

  it("starts extra drains through SELF, never more than MAX_PARALLEL_DRAINS at once", async () => {
    const ids = await fill(d, stream, N);
    const m = await worker({ ...behind, MAX_PARALLEL_DRAINS: "3" });
    const tick = (await m.getWorker()).scheduled({ cron: CONSUME, scheduledTime: new Date() });
    const peak = await peakSlots(tick);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(peak).toBeLessThanOrEqual(3);
    const drains = lines("drain").filter((l) => (l.read ?? 0) > 0);
    expect(drains.filter((l) => l.consumer?.startsWith("http-")).length).toBeGreaterThanOrEqual(1);
    const started = lines("fanout_started");
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.every((l) => (l as { via?: string }).via === "self")).toBe(true);
    // Each id went to one drain once; what was not read waits for the group, nothing is lost.
    expect([...target.seen.values()].every((n) => n === 1)).toBe(true);
    const read = drains.reduce((sum, l) => sum + (l.read ?? 0), 0);
    expect(read).toBe(target.seen.size);
    const left = await undelivered();
    expect(new Set([...target.seen.keys(), ...left])).toEqual(new Set(ids));
    expect(target.seen.size + left.length).toBe(N);
    expect(await pendingCount(d, stream)).toBe(0);
    expect(await d.zCard(slotsKey)).toBe(0);
  });

  it("without SELF runs the extra drains in-process within MAX_REQUESTS in total", async () => {
    const ids = await fill(d, stream, N);
    const m = await worker(
      { ...behind, CRON_BUDGET_MS: "5000", MAX_PARALLEL_DRAINS: "4", MAX_REQUESTS: "100" },
      false,
    );
    const before = bridge().stats().requests;
    await (await m.getWorker()).scheduled({ cron: CONSUME, scheduledTime: new Date() });
    expect(bridge().stats().requests - before).toBeLessThanOrEqual(100);
    const drains = lines("drain").filter((l) => (l.read ?? 0) > 0);
    expect(drains.some((l) => /-p[23]$/.test(l.consumer ?? ""))).toBe(true);
    expect(lines("fanout_started")).toMatchObject([{ via: "in-process" }]);
    expect([...target.seen.values()].every((n) => n === 1)).toBe(true);
    const left = await undelivered();
    expect(new Set([...target.seen.keys(), ...left])).toEqual(new Set(ids));
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("starts no extra drain with MAX_PARALLEL_DRAINS at 1", async () => {
    await fill(d, stream, N);
    const m = await worker({ ...behind, MAX_PARALLEL_DRAINS: "1" });
    const tick = (await m.getWorker()).scheduled({ cron: CONSUME, scheduledTime: new Date() });
    expect(await peakSlots(tick)).toBe(1);
    expect(lines("fanout_started")).toEqual([]);
    expect(lines("drain").map((l) => l.consumer)).toEqual([expect.stringMatching(/^cron-/)]);
  });
});
