import { describe, expect, it } from "vitest";
import type { SweepRedis } from "../../src/lib/index";
import { sleep } from "../helpers/sleep";
import { DRAIN, MIN_IDLE_MS, recorder, useFixture } from "../helpers/sweep-fixture";

const f = useFixture("sweep-limits");

/** Counts HTTP requests at the client, independently of the sweep's own counter. */
function counting(redis: SweepRedis): { redis: SweepRedis; requests: () => number } {
  let n = 0;
  const wrapped: SweepRedis = {
    exec: ((args: Parameters<SweepRedis["exec"]>[0]) => {
      n++;
      return redis.exec(args);
    }) as SweepRedis["exec"],
    evalsha: ((...args: Parameters<SweepRedis["evalsha"]>) => {
      n++;
      return redis.evalsha(...args);
    }) as SweepRedis["evalsha"],
    eval: ((...args: Parameters<SweepRedis["eval"]>) => {
      n++;
      return redis.eval(...args);
    }) as SweepRedis["eval"],
    pipeline: () => {
      const pipe = redis.pipeline();
      const exec = pipe.exec.bind(pipe);
      pipe.exec = ((...args: Parameters<typeof exec>) => {
        n++;
        return exec(...args);
      }) as typeof exec;
      return pipe;
    },
  };
  return { redis: wrapped, requests: () => n };
}

const many = (n: number) => Array.from({ length: n }, (_, i) => ({ n: String(i) }));

describe.each(["exponential", "fixed"] as const)(
  "racing sweeps with %s backoff",
  (retryBackoff) => {
    it("never process or dead-letter the same entry twice", async () => {
      const ids = await f.pending(many(60));
      const exhausted = ids.slice(0, 30);
      const retryable = ids.slice(30);
      await f.age(exhausted, 60_000, 3);
      await f.failures(exhausted, 3);
      await f.age(retryable, 60_000, 1);
      const { seen, handler } = recorder();
      const slow = async (...args: Parameters<typeof handler>) => {
        await sleep(2);
        return handler(...args);
      };
      const common = { handler: slow, retryBackoff, pageSize: 10 };
      const [a, b] = await Promise.all([
        f.run({ ...common, consumer: "cron-5-a" }),
        f.run({ ...common, consumer: "cron-5-b" }),
      ]);
      expect(seen.map((m) => m.id).sort()).toEqual([...retryable].sort());
      expect((a?.deadLettered ?? 0) + (b?.deadLettered ?? 0)).toBe(30);
      expect(await f.d.xLen(f.dlq)).toBe(30);
      expect((a?.deletedEntries ?? 0) + (b?.deletedEntries ?? 0)).toBe(0);
      expect(await f.pel()).toEqual([]);
    });
  },
);

describe("request limits", () => {
  it("never makes more requests than maxRequests", async () => {
    const ids = await f.pending(many(80));
    await f.age(ids, 60_000, 1);
    const { redis, requests } = counting(f.redis);
    for (const maxRequests of [13, 14, 16, 20]) {
      const before = requests();
      const report = await f.run({ redis, maxRequests, pageSize: 10, count: 80 });
      expect(requests() - before).toBe(report.requests);
      expect(report.requests).toBeLessThanOrEqual(maxRequests);
      expect(report.stoppedBy).toBe("requests");
      await f.age(ids.slice(0, 1), 60_000);
    }
  });

  it("refuses a maxRequests too small for one read, one ack and one move, reading nothing", async () => {
    const ids = await f.pending(many(5));
    await f.age(ids, 60_000, 1);
    await expect(f.run({ maxRequests: 2 })).rejects.toThrow(
      /maxRequests must be an integer between 3 and 100000, got 2/,
    );
    expect((await f.pel()).map(([, consumer]) => consumer)).toEqual(ids.map(() => DRAIN));
  });

  it("dead-letters 500 stuck messages in ceil(500/100) script calls plus a few requests", async () => {
    const ids = await f.pending(many(500));
    await f.age(ids, 60_000, 3);
    await f.failures(ids, 3);
    const { redis, requests } = counting(f.redis);
    const report = await f.run({ redis, count: 500, pageSize: 500 });
    expect(report).toMatchObject({ claimed: 500, deadLettered: 500, retried: 0 });
    // GET cursor, XPENDING, XCLAIM (+HMGET), 5 dead-letter scripts, XACK+SET, the hygiene
    // script, the group-position script.
    expect(requests()).toBe(11);
    expect(report.requests).toBe(11);
    expect(await f.d.xLen(f.dlq)).toBe(500);
  });

  it("dead-letters 500 stuck messages in 4 requests per page of 100", async () => {
    const ids = await f.pending(many(500));
    await f.age(ids, 60_000, 3);
    await f.failures(ids, 3);
    const report = await f.run({ count: 500 });
    expect(report).toMatchObject({ deadLettered: 500, stoppedBy: "count" });
    // GET cursor + 5 pages of (XPENDING, XCLAIM+HMGET, script, XACK+SET) + the hygiene and
    // group-position scripts.
    expect(report.requests).toBe(1 + 5 * 4 + 2);
  });
});

describe("time budget and abort", () => {
  it("starts no page once the budget is spent", async () => {
    const ids = await f.pending(many(30));
    await f.age(ids, MIN_IDLE_MS + 500);
    // The smallest budget there is; the first page's handlers alone outlast it.
    const handler = () => sleep(150);
    const report = await f.run({ handler, timeBudgetMs: 100, pageSize: 10 });
    expect(report).toMatchObject({ stoppedBy: "budget", claimed: 10, acked: 10 });
  });

  it("starts no page after the signal aborts", async () => {
    const ids = await f.pending(many(30));
    await f.age(ids, MIN_IDLE_MS + 500);
    const controller = new AbortController();
    const { handler } = recorder(() => {
      controller.abort();
      return false;
    });
    const report = await f.run({ handler, signal: controller.signal, pageSize: 10 });
    expect(report).toMatchObject({ stoppedBy: "aborted", claimed: 10, acked: 10 });
  });
});
