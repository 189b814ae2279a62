import { describe, expect, it } from "vitest";
import { resolveDrainOptions } from "../../src/lib/drain/options";
import { gatherDelay, Poller, pause, pollDelay } from "../../src/lib/drain/poll";
import type { DrainOptions } from "../../src/lib/index";

const POLL = { minMs: 50, maxMs: 500, idleMs: 10_000 };

describe("pollDelay", () => {
  it("waits minMs after the first empty read and doubles on each one after it, up to maxMs", () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((n) => pollDelay(n, POLL));
    expect(waits).toEqual([50, 100, 200, 400, 500, 500, 500]);
  });

  it("stays at maxMs however long the stream stays empty", () => {
    expect(pollDelay(5000, POLL)).toBe(500);
  });

  it("waits minMs every time when minMs equals maxMs", () => {
    expect([1, 2, 10].map((n) => pollDelay(n, { minMs: 200, maxMs: 200 }))).toEqual([
      200, 200, 200,
    ]);
  });
});

describe("Poller", () => {
  it("stops at the first empty read when not polling", () => {
    const poller = new Poller(undefined);
    poller.entries(1000, 1, 1);
    expect(poller.afterEmpty(1001)).toEqual({ stop: "empty" });
  });

  it("stops at once when the first read is empty, even when polling", () => {
    expect(new Poller(POLL).afterEmpty(1000)).toEqual({ stop: "empty" });
  });

  it("grows the wait over empty reads in a row once something was read", () => {
    const poller = new Poller(POLL);
    poller.entries(0, 1, 1);
    const steps = [10, 70, 180, 390, 800, 1310].map((t) => poller.afterEmpty(t));
    expect(steps).toEqual([50, 100, 200, 400, 500, 500].map((waitMs) => ({ waitMs })));
  });

  it("goes back to minMs after a read that returned entries", () => {
    const poller = new Poller(POLL);
    poller.entries(0, 1, 1);
    poller.afterEmpty(10);
    poller.afterEmpty(70);
    poller.afterEmpty(180);
    poller.entries(400, 1, 1);
    expect(poller.afterEmpty(410)).toEqual({ waitMs: 50 });
  });

  it("stops with idle once nothing has been read for idleMs", () => {
    const poller = new Poller(POLL);
    poller.entries(1000, 1, 1);
    expect(poller.afterEmpty(10_999)).toEqual({ waitMs: 50 });
    expect(poller.afterEmpty(11_000)).toEqual({ stop: "idle" });
  });

  it("counts idleMs from the last read that returned entries", () => {
    const poller = new Poller(POLL);
    poller.entries(0, 1, 1);
    poller.entries(9000, 1, 1);
    expect(poller.afterEmpty(18_000)).toEqual({ waitMs: 50 });
  });

  it("stops at the first empty read after entries when idleMs is 0", () => {
    const poller = new Poller({ ...POLL, idleMs: 0 });
    poller.entries(1000, 1, 1);
    expect(poller.afterEmpty(1000)).toEqual({ stop: "idle" });
  });
});

describe("pause", () => {
  it("ends a wait as soon as the signal aborts", async () => {
    const controller = new AbortController();
    const waiting = pause(3_600_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
  });

  it("does not wait at all once the signal has aborted", async () => {
    await expect(pause(3_600_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});

describe("poll options", () => {
  const base: DrainOptions = {
    redis: {} as DrainOptions["redis"],
    stream: "s",
    group: "g",
    consumer: "c",
    handler: async () => {},
  };

  it("fills in the defaults of the poll's missing fields", () => {
    expect(resolveDrainOptions({ ...base, poll: { maxMs: 800 } }).poll).toEqual({
      minMs: 50,
      maxMs: 800,
      idleMs: 10_000,
    });
  });

  it("leaves the poll unset when none is given", () => {
    expect(resolveDrainOptions(base).poll).toBeUndefined();
  });

  it("refuses a poll field out of range, naming it, with the drain's other bad options", () => {
    expect(() => resolveDrainOptions({ ...base, batchSize: 0, poll: { idleMs: -1 } })).toThrow(
      /batchSize must be .*; poll\.idleMs must be an integer between 0 and 900000, got -1/,
    );
  });

  it("refuses a minMs above maxMs", () => {
    expect(() => resolveDrainOptions({ ...base, poll: { minMs: 600, maxMs: 500 } })).toThrow(
      "poll.minMs must not exceed poll.maxMs, got 600 and 500",
    );
  });
});

describe("gatherDelay", () => {
  const poll = { minMs: 50, maxMs: 500 };

  it("reads again at once after a full batch", () => {
    expect(gatherDelay(100, 100, poll)).toBe(0);
  });

  it("waits longer the emptier the batch, up to maxMs", () => {
    expect(gatherDelay(50, 100, poll)).toBe(100);
    expect(gatherDelay(20, 100, poll)).toBe(250);
    expect(gatherDelay(5, 100, poll)).toBe(500);
  });

  it("never waits without polling", () => {
    expect(gatherDelay(1, 100, undefined)).toBe(0);
  });
});
