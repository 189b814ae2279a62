import { describe, expect, it } from "vitest";
import { AckBuffer } from "../../src/lib/drain/ack-buffer";
import { InFlight, MIN_GRACE_MS } from "../../src/lib/drain/in-flight";
import { Limiter } from "../../src/lib/handling/limiter";
import { sleep } from "../helpers/sleep";

describe("AckBuffer", () => {
  it("starts empty", () => {
    expect(new AckBuffer().take()).toEqual({ ids: [], marks: [], failed: [] });
  });

  it("hands over every buffered ack and mark in one batch, then is empty", () => {
    const acks = new AckBuffer();
    acks.add("1-0");
    acks.add("2-0", "s:g:done:2-0");
    expect(acks.take()).toEqual({ ids: ["1-0", "2-0"], marks: ["s:g:done:2-0"], failed: [] });
    expect(acks.take()).toEqual({ ids: [], marks: [], failed: [] });
  });

  it("keeps acks added after a take for the next batch", () => {
    const acks = new AckBuffer();
    acks.add("1-0");
    acks.take();
    acks.add("2-0");
    expect(acks.take().ids).toEqual(["2-0"]);
  });

  it("puts a failed batch back, so no ack is dropped", () => {
    const acks = new AckBuffer();
    acks.add("1-0", "m1");
    const batch = acks.take();
    acks.add("2-0");
    acks.restore(batch);
    expect(acks.take()).toEqual({ ids: ["2-0", "1-0"], marks: ["m1"], failed: [] });
  });

  it("puts back the failure records of a failed batch too", () => {
    const acks = new AckBuffer();
    acks.fail("3-0");
    const batch = acks.take();
    expect(acks.empty).toBe(true);
    acks.restore(batch);
    expect(acks.take()).toEqual({ ids: [], marks: [], failed: ["3-0"] });
  });

  it("puts back only the ids when the marks were applied", () => {
    const acks = new AckBuffer();
    acks.add("1-0", "m1");
    const batch = acks.take();
    acks.restore({ ids: batch.ids });
    expect(acks.take()).toEqual({ ids: ["1-0"], marks: [], failed: [] });
  });
});

describe("InFlight", () => {
  it("has a mean handler time of 0 before any handler ends", () => {
    expect(new InFlight().meanMs).toBe(0);
  });

  it("averages the time of the handler calls it timed", async () => {
    const f = new InFlight();
    await f.timed(() => sleep(20));
    await f.timed(() => sleep(60));
    expect(f.meanMs).toBeGreaterThanOrEqual(38);
    expect(f.meanMs).toBeLessThan(200);
  });

  it("times a handler call that throws too, and passes the error on", async () => {
    const f = new InFlight();
    await expect(f.timed(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await f.timed(() => sleep(30));
    // Two calls counted: the mean is about half of the second one's time.
    expect(f.meanMs).toBeLessThan(30);
  });

  it("settles once every tracked task has ended", async () => {
    const f = new InFlight();
    const ended: number[] = [];
    f.addBatch(
      [sleep(20).then(() => void ended.push(1)), sleep(40).then(() => void ended.push(2))],
      Date.now(),
    );
    await f.settled();
    expect(ended).toEqual([1, 2]);
  });

  it("remembers the slowest batch from its read to its last task", async () => {
    const f = new InFlight();
    f.addBatch([sleep(10)], Date.now() - 100);
    await f.settled();
    await sleep(0);
    expect(f.slowestBatchMs).toBeGreaterThanOrEqual(100);
  });

  it("lets the next read go after the grace when a straggler keeps running", async () => {
    const f = new InFlight();
    const limiter = new Limiter(4);
    await f.timed(() => sleep(5));
    let straggling = true;
    f.addBatch(
      [
        limiter.run(async () => {
          await sleep(2000);
          straggling = false;
        }),
      ],
      Date.now(),
    );
    const t0 = Date.now();
    await f.readyForNextRead(limiter, new AbortController().signal);
    expect(straggling).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(MIN_GRACE_MS - 1);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("waits for the first handler to end before judging what is slow", async () => {
    const f = new InFlight();
    const limiter = new Limiter(4);
    let ended = false;
    f.addBatch(
      [
        limiter.run(async () => {
          await sleep(80);
          ended = true;
        }),
      ],
      Date.now(),
    );
    await f.readyForNextRead(limiter, new AbortController().signal);
    expect(ended).toBe(true);
  });

  it("waits until every queued task has a slot before the next read", async () => {
    const f = new InFlight();
    const limiter = new Limiter(1);
    await f.timed(() => sleep(1));
    const started: number[] = [];
    const tasks = [0, 1, 2].map((i) =>
      limiter.run(async () => {
        started.push(i);
        await sleep(30);
      }),
    );
    f.addBatch(tasks, Date.now());
    await f.readyForNextRead(limiter, new AbortController().signal);
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.queued).toBe(0);
  });
});
