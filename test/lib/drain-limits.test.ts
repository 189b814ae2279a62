import { beforeEach, describe, expect, it } from "vitest";
import {
  type DrainEvent,
  type DrainOptions,
  PermanentError,
  drain as runDrain,
} from "../../src/lib/index";
import { fill, pendingCount } from "../helpers/drain-fixture";
import { useBridge } from "../helpers/own-bridge";
import { upstash, useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";

const ks = useKeyspace("drain-limits");
const { d } = ks;
// Its request counter and knobs are this file's alone.
const bridge = useBridge();
let stream: string;

beforeEach(() => {
  stream = ks.key("orders");
  bridge().knobs.faultRate = 0;
});

const redis = () => upstash({ url: bridge().url, token: "t" });

function drain(overrides: Partial<DrainOptions> = {}) {
  return runDrain({
    redis: redis(),
    stream,
    group: "g",
    consumer: "c1",
    handler: async () => {},
    ...overrides,
  });
}

describe("request count", () => {
  it.each([
    [100, 10],
    [1000, 50],
  ])("drains %i messages in batches of %i with ceil(N/B)+1 requests", async (n, b) => {
    await fill(d, stream, n);
    const before = bridge().stats().requests;
    const report = await drain({ batchSize: b, maxMessages: n + 1 });
    const used = bridge().stats().requests - before;
    expect(report).toMatchObject({ read: n, acked: n, stoppedBy: "empty" });
    expect(used).toBe(Math.ceil(n / b) + 1);
    expect(report.requests).toBe(used);
  });

  it("lets the acks of a first, slow batch ride on the next read too", async () => {
    await fill(d, stream, 3);
    const before = bridge().stats().requests;
    const report = await drain({ handler: () => sleep(40) });
    expect(report.acked).toBe(3);
    expect(bridge().stats().requests - before).toBe(2);
  });

  it("never makes more requests than maxRequests", async () => {
    await fill(d, stream, 100);
    const before = bridge().stats().requests;
    const report = await drain({ batchSize: 5, maxRequests: 6 });
    expect(report.stoppedBy).toBe("requests");
    expect(bridge().stats().requests - before).toBeLessThanOrEqual(6);
    expect(report.acked).toBe(report.read);
  });

  it("stays within maxRequests when dead-lettering takes more than one script call", async () => {
    await fill(d, stream, 250);
    const before = bridge().stats().requests;
    const report = await drain({
      batchSize: 250,
      maxRequests: 4,
      handler: () => {
        throw new PermanentError("never");
      },
    });
    expect(bridge().stats().requests - before).toBeLessThanOrEqual(4);
    expect(report.requests).toBeLessThanOrEqual(4);
    // What did not fit stays pending for the sweep: nothing is lost.
    expect(report.deadLettered + (await pendingCount(d, stream))).toBe(250);
    expect(await d.xLen(`${stream}:dlq`)).toBe(report.deadLettered);
  });
});

describe("time budget", () => {
  it("stops before a batch that would not fit in what is left of the budget", async () => {
    await fill(d, stream, 50);
    const report = await drain({
      batchSize: 5,
      concurrency: 5,
      timeBudgetMs: 250,
      handler: () => sleep(60),
    });
    expect(report.stoppedBy).toBe("budget");
    expect(report.read).toBeLessThan(50);
    expect(report.acked).toBe(report.read);
    expect(await pendingCount(d, stream)).toBe(0);
  });
});

describe("abort", () => {
  it("leaves unread messages unread and acks what finished", async () => {
    await fill(d, stream, 50);
    const controller = new AbortController();
    const report = await drain({
      batchSize: 10,
      signal: controller.signal,
      handler: () => controller.abort(),
    });
    expect(report).toMatchObject({ stoppedBy: "aborted", read: 10, acked: 10 });
    expect(await pendingCount(d, stream)).toBe(0);
    const groups = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
    const entriesRead = groups[0]?.[9];
    expect(entriesRead).toBe(10);
  });
});

/**
 * Another consumer running `XAUTOCLAIM` (min idle 150 ms) every 10 ms, as an overlapping sweep
 * would; `stop()` returns the ids it claimed.
 */
function rivalSweep() {
  const claims: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const [, claimed] = (await d.sendCommand([
        ...["XAUTOCLAIM", stream, "g", "other", "150", "0-0", "JUSTID"],
      ])) as [string, string[]];
      claims.push(...claimed.map(String));
      await sleep(10);
    }
  })();
  return {
    async stop(): Promise<string[]> {
      running = false;
      await loop;
      return claims;
    },
  };
}

describe("lease", () => {
  it("keeps a slow handler's message from being claimed by a concurrent sweep", async () => {
    await fill(d, stream, 1);
    const rival = rivalSweep();
    const report = await drain({ minIdleMs: 150, handler: () => sleep(700) });
    expect(await rival.stop()).toEqual([]);
    expect(report.acked).toBe(1);
  });

  it("keeps a message leased while it waits for a free handler slot", async () => {
    // One slot, three 200 ms handlers: the third waits 400 ms before it starts.
    await fill(d, stream, 3);
    const rival = rivalSweep();
    const report = await drain({ minIdleMs: 150, concurrency: 1, handler: () => sleep(200) });
    expect(await rival.stop()).toEqual([]);
    expect(report).toMatchObject({ read: 3, acked: 3 });
  });

  it("keeps a finished message leased until its ack is sent", async () => {
    // B finishes at 100 ms; the straggler A sets the next read (and B's ack) to ~300 ms.
    const [a = ""] = await fill(d, stream, 2);
    const rival = rivalSweep();
    const report = await drain({
      minIdleMs: 150,
      concurrency: 2,
      handler: (m) => sleep(m.id === a ? 500 : 100),
    });
    expect(await rival.stop()).toEqual([]);
    expect(report).toMatchObject({ read: 2, acked: 2 });
  });

  it("keeps a PermanentError message leased until it is dead-lettered", async () => {
    // B fails for good at 100 ms; its move rides on the next loop turn, ~300 ms.
    const [a = "", b = ""] = await fill(d, stream, 2);
    const rival = rivalSweep();
    const report = await drain({
      minIdleMs: 150,
      concurrency: 2,
      handler: async (m) => {
        await sleep(m.id === a ? 500 : 100);
        if (m.id === b) {
          throw new PermanentError("bad order");
        }
      },
    });
    expect(await rival.stop()).toEqual([]);
    expect(report).toMatchObject({ acked: 1, deadLettered: 1 });
  });

  it("leaves a message a sweep claimed while its handler ran with that sweep", async () => {
    // Regression (CI soak): a late renewal took claimed entries back with XCLAIM 0; every
    // steal made a sweep's claim a delivery nobody ran, until a sweep dead-lettered a
    // message as max_deliveries while its first handler was still running.
    const [id = ""] = await fill(d, stream, 1);
    const events: DrainEvent[] = [];
    const report = drain({
      minIdleMs: 150,
      leaseMs: 30,
      handler: () => sleep(400),
      onEvent: (e) => events.push(e),
    });
    await sleep(60);
    await d.sendCommand(["XCLAIM", stream, "g", "sweeper", "0", id]);
    await sleep(200);
    const pel = (await d.sendCommand(["XPENDING", stream, "g", "-", "+", "10"])) as unknown[][];
    expect(pel.map((row) => [row[1], row[3]])).toEqual([["sweeper", 2]]);
    expect(await report).toMatchObject({ acked: 1 });
    expect(events).toContainEqual({ event: "lease_lost", ids: [id] });
  });

  it("lets the sweep claim a message whose handler outlives MIN_IDLE_MS without a lease", async () => {
    await fill(d, stream, 1);
    const report = drain({ minIdleMs: 150, leaseMs: 60_000, handler: () => sleep(400) });
    await sleep(300);
    const [, claimed] = (await d.sendCommand([
      "XAUTOCLAIM",
      stream,
      "g",
      "other",
      "150",
      "0-0",
    ])) as [string, unknown[]];
    await report;
    expect(claimed).toHaveLength(1);
  });
});

describe("failures of Redis", () => {
  it("leaves handled messages pending for the sweep when the ack cannot be sent", async () => {
    await fill(d, stream, 5);
    const report = await drain({
      handler: () => {
        bridge().knobs.faultRate = 1;
      },
    });
    bridge().knobs.faultRate = 0;
    expect(report.stoppedBy).toBe("error");
    expect(report.error?.message).toMatch(/injected fault/);
    expect(report.acked).toBe(0);
    expect(await pendingCount(d, stream)).toBe(5);
  });

  it("reports a stream key of the wrong type instead of throwing", async () => {
    await d.set(stream, "not a stream");
    const report = await drain();
    expect(report.stoppedBy).toBe("error");
    expect(report.error).toMatchObject({ code: "REDIS_ERROR" });
    expect(report.error?.message).toMatch(/WRONGTYPE|XREADGROUP/);
  });
});

describe("options", () => {
  it.each([
    [{ batchSize: 0 }, /batchSize must be an integer between 1 and 10000, got 0/],
    [{ concurrency: 2.5 }, /concurrency must be an integer between 1 and 1000, got 2.5/],
    [{ maxRequests: 2 }, /maxRequests must be an integer between 3 and 100000, got 2/],
    [{ stream: "" }, /stream must be a non-empty string/],
  ])("refuses %o with a message naming the option, and reads nothing", async (bad, message) => {
    await fill(d, stream, 1);
    await expect(drain(bad as Partial<DrainOptions>)).rejects.toThrow(message);
    expect(await pendingCount(d, stream)).toBe(0);
  });
});
