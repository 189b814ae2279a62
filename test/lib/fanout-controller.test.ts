import { describe, expect, it } from "vitest";
import type { DrainBatch } from "../../src/lib/drain/options";
import {
  FanOutController,
  type FanOutEvent,
  type FanOutOptions,
} from "../../src/lib/fanout/controller";
import { takeSlot } from "../../src/lib/fanout/slots";
import { RequestBudget } from "../../src/lib/redis/budget";
import { fill } from "../helpers/drain-fixture";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("fanout-controller");
const { d } = ks;

type Harness = {
  controller: FanOutController;
  starts: { k: number; backlog: number; remainingMs: number }[];
  events: FanOutEvent[];
  budget: RequestBudget;
};

function harness(stream: string, o: Partial<FanOutOptions> = {}): Harness {
  const starts: Harness["starts"] = [];
  const events: FanOutEvent[] = [];
  const budget = o.budget ?? new RequestBudget();
  const controller = new FanOutController({
    redis: upstash(),
    stream,
    group: "g",
    budget,
    batchSize: 50,
    maxDrains: 4,
    start: (k, at) => starts.push({ k, ...at }),
    onEvent: (e) => events.push(e),
    ...o,
  });
  return { controller, starts, events, budget };
}

/**
 * A full batch from a drain that read 100 in 2 s (0.05 per ms) with 1 s left: it clears 50
 * more, so a backlog of 500 calls for ceil(500 / 50) = 10 drains.
 */
const slowBatch = (o: Partial<DrainBatch> = {}): DrainBatch => ({
  read: 50,
  count: 50,
  newestId: "1-0",
  elapsedMs: 2000,
  remainingMs: 1000,
  readSoFar: 100,
  ...o,
});

describe("FanOutController", () => {
  it("asks for as many drains as the table allows when the backlog outgrows the drain", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream);
    h.controller.onBatch(slowBatch());
    await h.controller.settled();
    expect(h.starts).toEqual([{ k: 3, backlog: 500, remainingMs: 1000 }]);
    expect(h.controller.report).toEqual({ estimates: 1, requested: 3, failed: 0 });
  });

  it("asks for just enough drains to clear the backlog in the time left", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 120);
    const h = harness(stream);
    h.controller.onBatch(slowBatch());
    await h.controller.settled();
    // 120 / 50 per drain: 3 drains, 2 more.
    expect(h.starts.map((s) => s.k)).toEqual([2]);
  });

  it("counts the drains other invocations run", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const slot = { redis: upstash(), stream, group: "g", budget: new RequestBudget() };
    for (const consumer of ["other-1", "other-2"]) {
      await takeSlot({ ...slot, consumer, expiresAt: Date.now() + 60_000, max: 4 });
    }
    const h = harness(stream);
    h.controller.onBatch(slowBatch());
    await h.controller.settled();
    expect(h.starts.map((s) => s.k)).toEqual([2]);
  });

  it("asks for none, with one request, when the drain keeps up", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 40);
    const h = harness(stream);
    h.controller.onBatch(slowBatch());
    await h.controller.stop();
    expect(h.starts).toEqual([]);
    expect(h.budget.used).toBe(1);
    expect(h.events).toMatchObject([{ event: "fanout_estimate", backlog: 40, wanted: 0 }]);
  });

  it("makes no request after a batch that was not full", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream);
    h.controller.onBatch(slowBatch({ read: 49 }));
    await h.controller.stop();
    expect(h.budget.used).toBe(0);
    expect(h.starts).toEqual([]);
  });

  it("waits the interval into the drain before its first estimate", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream);
    h.controller.onBatch(slowBatch({ elapsedMs: 1999 }));
    await h.controller.stop();
    expect(h.controller.report.estimates).toBe(0);
  });

  it("estimates at most once per interval", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream, { intervalMs: 1000 });
    for (const elapsedMs of [1000, 1500, 1999, 2000, 2999, 3000]) {
      h.controller.onBatch(slowBatch({ elapsedMs }));
      // Each estimate finishes first: one in flight blocks the next on its own.
      await h.controller.settled();
    }
    await h.controller.stop();
    expect(h.controller.report.estimates).toBe(3);
  });

  it("never has two estimates in flight", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream, { intervalMs: 0 });
    h.controller.onBatch(slowBatch({ elapsedMs: 10 }));
    h.controller.onBatch(slowBatch({ elapsedMs: 20 }));
    await h.controller.stop();
    expect(h.controller.report.estimates).toBe(1);
  });

  it("starts nothing from an estimate in flight when stopped", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream);
    h.controller.onBatch(slowBatch());
    await h.controller.stop();
    expect(h.controller.report.estimates).toBe(1);
    expect(h.starts).toEqual([]);
  });

  it("estimates no more once stopped", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream);
    await h.controller.stop();
    h.controller.onBatch(slowBatch());
    await h.controller.settled();
    expect(h.budget.used).toBe(0);
  });

  it("stops estimating when its budget cannot cover an estimate", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream, { budget: new RequestBudget(3) });
    h.controller.onBatch(slowBatch());
    await h.controller.stop();
    expect(h.budget.used).toBe(0);
    expect(h.controller.report).toMatchObject({ estimates: 0, stoppedBy: "requests" });
  });

  it("reports a failed estimate and asks for nothing", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream, { redis: upstash({ token: "wrong" }) });
    h.controller.onBatch(slowBatch());
    await h.controller.stop();
    expect(h.starts).toEqual([]);
    expect(h.controller.report.failed).toBe(1);
    expect(h.events).toMatchObject([{ event: "fanout_failed" }]);
  });

  it("asks for none with MAX_PARALLEL_DRAINS at 1, without a request", async () => {
    const stream = ks.key("s");
    await fill(d, stream, 500);
    const h = harness(stream, { maxDrains: 1 });
    h.controller.onBatch(slowBatch());
    await h.controller.stop();
    expect(h.budget.used).toBe(0);
  });
});
