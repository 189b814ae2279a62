/**
 * Continuous drains on the real Redis through a bridge of this file's own (its request
 * counter tells the test where the drain is): polling, the idle stop, the limits while
 * polling, `onBatch` and `onFirstEntries`.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { type DrainBatch, type DrainOptions, drain as runDrain } from "../../src/lib/index";
import { add, fill, pendingCount } from "../helpers/drain-fixture";
import { useBridge } from "../helpers/own-bridge";
import { upstash, useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";

const ks = useKeyspace("drain-poll");
const { d } = ks;
// Its request counter and knobs are this file's alone.
const bridge = useBridge();
let stream: string;

beforeEach(() => {
  stream = ks.key("orders");
  bridge().knobs.latencyMs = 0;
});

/** Polls every 20–50 ms until nothing has arrived for 2 s. */
const POLL = { minMs: 20, maxMs: 50, idleMs: 2000 };

function drain(overrides: Partial<DrainOptions> = {}) {
  return runDrain({
    redis: upstash({ url: bridge().url, token: "t" }),
    stream,
    group: "g",
    consumer: "c1",
    handler: async () => {},
    poll: POLL,
    ...overrides,
  });
}

/** Resolves once the bridge has received `n` requests more than `from`. */
async function requestsReach(from: number, n: number): Promise<void> {
  while (bridge().stats().requests < from + n) {
    await sleep(1);
  }
}

describe("polling", () => {
  it("hands a message added after an empty read to the same drain", async () => {
    const [first = ""] = await fill(d, stream, 1);
    const before = bridge().stats().requests;
    const handled: string[] = [];
    const running = drain({ handler: async (m) => void handled.push(m.id) });
    // Request 1 read the first message, request 2 found nothing: the drain is polling.
    await requestsReach(before, 2);
    const [late = ""] = await add(d, stream, 1);
    const report = await running;
    expect(handled).toEqual([first, late]);
    expect(report).toMatchObject({ read: 2, acked: 2, stoppedBy: "idle" });
    expect(report.emptyPolls).toBeGreaterThanOrEqual(2);
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("makes exactly one request when its first read is empty", async () => {
    await fill(d, stream, 0);
    const before = bridge().stats().requests;
    const report = await drain();
    expect(bridge().stats().requests - before).toBe(1);
    expect(report).toMatchObject({ read: 0, batches: 1, emptyPolls: 1, requests: 1 });
    expect(report.stoppedBy).toBe("empty");
  });

  it("stops with idle once nothing has arrived for idleMs, everything acked", async () => {
    await fill(d, stream, 3);
    const report = await drain({ poll: { minMs: 10, maxMs: 40, idleMs: 300 } });
    expect(report).toMatchObject({ read: 3, acked: 3, stoppedBy: "idle" });
    expect(report.emptyPolls).toBeGreaterThan(1);
    expect(report.batches).toBe(1 + report.emptyPolls);
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("counts the one empty read of a drain that does not poll", async () => {
    await fill(d, stream, 3);
    const report = await drain({ poll: undefined });
    expect(report).toMatchObject({ read: 3, stoppedBy: "empty", emptyPolls: 1, batches: 2 });
  });

  it("sends the acks of handlers that finished during an empty read before it waits", async () => {
    // B ends while the empty read is held up in the bridge; the wait after it is a minute.
    const [, b = ""] = await fill(d, stream, 2);
    bridge().knobs.latencyMs = 300;
    const before = bridge().stats().requests;
    const controller = new AbortController();
    const running = drain({
      concurrency: 2,
      // A full batch: no wait before the next read, which comes back empty.
      batchSize: 2,
      poll: { minMs: 60_000, maxMs: 60_000, idleMs: 900_000 },
      timeBudgetMs: 900_000,
      signal: controller.signal,
      handler: async (m) => {
        if (m.id === b) {
          await requestsReach(before, 2);
        }
      },
    });
    await requestsReach(before, 2);
    while ((await pendingCount(d, stream)) > 0) {
      await sleep(20);
    }
    controller.abort();
    const report = await running;
    expect(report).toMatchObject({ read: 2, acked: 2, emptyPolls: 1, stoppedBy: "aborted" });
    expect(report.requests).toBe(3);
  });
});

describe("limits while polling", () => {
  it("wakes from a wait at once when aborted, a running handler's message acked", async () => {
    const [, b = ""] = await fill(d, stream, 2);
    const before = bridge().stats().requests;
    const controller = new AbortController();
    let release = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const running = drain({
      concurrency: 2,
      batchSize: 2,
      poll: { minMs: 60_000, maxMs: 60_000, idleMs: 900_000 },
      timeBudgetMs: 900_000,
      signal: controller.signal,
      handler: (m) => (m.id === b ? slow : Promise.resolve()),
    });
    // The second read came back empty: the drain waits a minute, B still running.
    await requestsReach(before, 2);
    await sleep(20);
    controller.abort();
    release();
    const report = await running;
    expect(report).toMatchObject({ read: 2, acked: 2, stoppedBy: "aborted" });
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("never makes more requests than maxRequests", async () => {
    await fill(d, stream, 3);
    const before = bridge().stats().requests;
    const report = await drain({
      maxRequests: 8,
      poll: { minMs: 1, maxMs: 5, idleMs: 900_000 },
      timeBudgetMs: 900_000,
    });
    expect(report.stoppedBy).toBe("requests");
    expect(bridge().stats().requests - before).toBeLessThanOrEqual(8);
    expect(report.requests).toBe(bridge().stats().requests - before);
    expect(report).toMatchObject({ read: 3, acked: 3 });
  });

  it("stops rather than wait past the time budget", async () => {
    await fill(d, stream, 1);
    const report = await drain({
      batchSize: 1,
      poll: { minMs: 60_000, maxMs: 60_000, idleMs: 900_000 },
      timeBudgetMs: 5000,
    });
    expect(report).toMatchObject({ read: 1, acked: 1, emptyPolls: 1, stoppedBy: "budget" });
    expect(report.durationMs).toBeLessThan(5000);
  });

  it("stops at maxMessages without polling further", async () => {
    await fill(d, stream, 5);
    const before = bridge().stats().requests;
    const report = await drain({ batchSize: 2, maxMessages: 4 });
    expect(report).toMatchObject({ read: 4, acked: 4, emptyPolls: 0, stoppedBy: "max" });
    expect(bridge().stats().requests - before).toBe(3);
  });
});

describe("onBatch", () => {
  it("is called after each read that returned entries, with its count and newest id", async () => {
    const ids = await fill(d, stream, 5);
    const batches: DrainBatch[] = [];
    await drain({ batchSize: 2, poll: undefined, onBatch: (b) => batches.push(b) });
    expect(
      batches.map(({ read, count, newestId, readSoFar }) => [read, count, newestId, readSoFar]),
    ).toEqual([
      [2, 2, ids[1], 2],
      [2, 2, ids[3], 4],
      [1, 2, ids[4], 5],
    ]);
    for (const b of batches) {
      expect(b.elapsedMs + b.remainingMs).toBe(25_000);
    }
  });
});

describe("onFirstEntries", () => {
  it("is asked once, after the first read that returned entries", async () => {
    await fill(d, stream, 5);
    let asked = 0;
    const report = await drain({
      batchSize: 2,
      onFirstEntries: async () => {
        asked++;
        return true;
      },
    });
    expect(asked).toBe(1);
    expect(report).toMatchObject({ read: 5, acked: 5 });
  });

  it("is never asked by a drain that finds nothing", async () => {
    await fill(d, stream, 0);
    let asked = 0;
    await drain({
      onFirstEntries: async () => {
        asked++;
        return true;
      },
    });
    expect(asked).toBe(0);
  });

  it("stops reading when it says no, and still acks what was read", async () => {
    await fill(d, stream, 10);
    const report = await drain({ batchSize: 2, onFirstEntries: async () => false });
    expect(report).toMatchObject({ read: 2, acked: 2, stoppedBy: "max" });
    expect(await pendingCount(d, stream)).toBe(0);
    expect(await d.xLen(stream)).toBe(10);
  });
});
