/**
 * Continuous drains in the bundled Worker (Miniflare): the cron drain with DRAIN_MODE=continuous
 * polls for messages that arrive while it runs, holds a slot of the drain table once it has
 * read something, and `POST /drain?continuous=1` does the same on demand.
 */
import type { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { streamKeys } from "../../src/lib/index";
import { DRAIN_SLOTS } from "../../src/lib/redis/scripts/drain-slots";
import { add, fill, pendingCount } from "../helpers/drain-fixture";
import { useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";
import { startTarget, type Target } from "../helpers/target";
import { startWorker } from "../helpers/worker";

const TOKEN = "continuous-admin-token";
const CONSUME = "* * * * *";

const ks = useKeyspace("continuous");
const { d } = ks;
let stream: string;
let target: Target;
let mf: Miniflare | undefined;
let logs: string[] = [];

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});
beforeEach(() => {
  stream = ks.key("orders");
  target.deliveries.length = 0;
});
afterEach(async () => {
  await mf?.dispose();
  mf = undefined;
});

/** A Worker in continuous mode that polls every 20–50 ms until nothing arrived for 1.5 s. */
async function worker(vars: Record<string, string | undefined> = {}): Promise<Miniflare> {
  logs = [];
  mf = await startWorker(
    {
      STREAM: stream,
      GROUP: "g",
      ADMIN_TOKEN: TOKEN,
      TARGET_URL: target.url,
      DRAIN_MODE: "continuous",
      POLL_MIN_MS: "20",
      POLL_MAX_MS: "50",
      POLL_IDLE_MS: "1500",
      ...vars,
    },
    logs,
  );
  return mf;
}

async function cron(m: Miniflare) {
  return (await m.getWorker()).scheduled({ cron: CONSUME, scheduledTime: new Date() });
}

const post = (m: Miniflare, path: string) =>
  m.dispatchFetch(`http://worker${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
  });

type Line = { event: string } & Record<string, unknown>;

/** The Worker's log lines of one event. */
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

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) {
    await sleep(10);
  }
}

const slotsKey = () => streamKeys(stream, "g").drains;

describe("the cron drain in continuous mode", () => {
  it("hands a message added while it polls to the same drain", async () => {
    await fill(d, stream, 1);
    const m = await worker();
    const tick = cron(m);
    await until(() => target.deliveries.length === 1);
    await add(d, stream, 1, 1);
    expect((await tick).outcome).toBe("ok");
    expect(target.deliveries.map((x) => x.fields.n)).toEqual(["0", "1"]);
    expect(lines("drain")).toEqual([
      expect.objectContaining({ read: 2, acked: 2, stoppedBy: "idle" }),
    ]);
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("holds a slot while it polls and frees it when it ends", async () => {
    await fill(d, stream, 1);
    const m = await worker();
    const tick = cron(m);
    await until(async () => (await d.zCard(slotsKey())) === 1);
    const [holder] = await d.zRange(slotsKey(), 0, -1);
    await tick;
    expect(holder).toMatch(/^cron-/);
    expect(lines("drain")[0]?.consumer).toBe(holder);
    expect(await d.zCard(slotsKey())).toBe(0);
  });

  it("reads once and takes no slot when the stream is idle", async () => {
    await fill(d, stream, 0);
    await cron(await worker());
    expect(lines("drain")).toEqual([
      expect.objectContaining({ read: 0, requests: 1, emptyPolls: 1, stoppedBy: "empty" }),
    ]);
    expect(await d.exists(slotsKey())).toBe(0);
  });

  it("handles its first batch and reads no more when the slot table is full", async () => {
    await d.zAdd(slotsKey(), { score: Date.now() + 60_000, value: "another-drain" });
    await fill(d, stream, 5);
    await cron(await worker({ MAX_PARALLEL_DRAINS: "1", BATCH_SIZE: "2" }));
    expect(target.deliveries).toHaveLength(2);
    expect(await pendingCount(d, stream)).toBe(0);
    expect(lines("drain_cut_short")).toEqual([
      expect.objectContaining({ reason: "slots_full", maxParallelDrains: 1 }),
    ]);
    expect(lines("drain")).toEqual([expect.objectContaining({ read: 2, stoppedBy: "max" })]);
    expect(await d.zRange(slotsKey(), 0, -1)).toEqual(["another-drain"]);
  });

  it("counts its slot calls in the drain's requests", async () => {
    // Loaded already, so that neither slot call needs a second request after a NOSCRIPT.
    await d.sendCommand(["SCRIPT", "LOAD", DRAIN_SLOTS]);
    await fill(d, stream, 1);
    await cron(await worker({ POLL_IDLE_MS: "0" }));
    // The read, the slot's take, the empty read with the ack, the slot's release.
    expect(lines("drain")).toEqual([expect.objectContaining({ read: 1, requests: 4 })]);
  });
});

describe("DRAIN_MODE=cron", () => {
  it("stops at the first empty read and takes no slot", async () => {
    await fill(d, stream, 2);
    await cron(await worker({ DRAIN_MODE: "cron" }));
    expect(target.deliveries).toHaveLength(2);
    expect(lines("drain")).toEqual([
      expect.objectContaining({ read: 2, requests: 2, emptyPolls: 1, stoppedBy: "empty" }),
    ]);
    expect(await d.exists(slotsKey())).toBe(0);
  });
});

describe("POST /drain?continuous=1", () => {
  it("hands a message added while it polls to the same drain", async () => {
    await fill(d, stream, 1);
    const m = await worker();
    const answer = post(m, "/drain?continuous=1");
    await until(() => target.deliveries.length === 1);
    await add(d, stream, 1, 1);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ read: 2, acked: 2, stoppedBy: "idle" });
  });

  it("stops at the first empty read without it, in continuous mode too", async () => {
    await fill(d, stream, 1);
    const res = await post(await worker(), "/drain");
    expect(await res.json()).toMatchObject({ read: 1, emptyPolls: 1, stoppedBy: "empty" });
  });

  it("answers 400 naming continuous for a value that is not a flag", async () => {
    const res = await post(await worker(), "/drain?continuous=yes");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        code: "INVALID_QUERY",
        message: 'continuous must be true, false, 1 or 0, got "yes"',
      },
    });
  });
});
