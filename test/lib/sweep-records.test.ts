import { describe, expect, it } from "vitest";
import type { SweepEvent, SweepRedis } from "../../src/lib/index";
import { GROUP, recorder, useFixture } from "../helpers/sweep-fixture";

const f = useFixture("sweep-records");
const BACKOFFS = ["exponential", "fixed"] as const;

describe.each(BACKOFFS)("sweep counting handler runs, %s backoff", (retryBackoff) => {
  it("gives a message MAX_DELIVERIES real runs even when deliveries were lost without a run", async () => {
    const [id = ""] = await f.pending([{ n: "1" }]);
    await f.failures([id], 0);
    // Three claims whose replies never reached a handler: the counter says 4 deliveries.
    await f.age([id], 60_000, 4);
    const { seen, handler } = recorder(() => true);
    const reports = [];
    for (let run = 0; run < 4; run++) {
      await f.age([id], 600_000);
      reports.push(await f.run({ handler, retryBackoff }));
    }
    expect(seen).toHaveLength(3);
    expect(reports.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(reports.map((r) => r.deadLettered)).toEqual([0, 0, 0, 1]);
  });

  it("records each failed run and forgets the record once the message succeeds", async () => {
    const [id = ""] = await f.pending([{ n: "1" }]);
    let fail = true;
    const { handler } = recorder(() => fail);
    await f.age([id], 60_000);
    await f.run({ handler, retryBackoff });
    expect(await f.d.hGet(`${f.stream}:${GROUP}:failures`, id)).toBe("2");
    fail = false;
    await f.age([id], 600_000);
    await f.run({ handler, retryBackoff });
    expect(await f.d.hGetAll(`${f.stream}:${GROUP}:failures`)).toEqual({});
    expect(await f.pel()).toEqual([]);
  });

  it("acks a message the idempotency guard marks done without running or dead-lettering it", async () => {
    const [id = ""] = await f.pending([{ n: "1" }]);
    await f.failures([id], 3);
    await f.d.set(`${f.stream}:${GROUP}:done:${id}`, "1");
    await f.age([id], 60_000);
    const { seen, handler } = recorder(() => true);
    const report = await f.run({ handler, retryBackoff, idempotencyTtlS: 60 });
    expect(seen).toEqual([]);
    expect(report).toMatchObject({ claimed: 1, acked: 1, alreadyDone: 1, deadLettered: 0 });
    expect(await f.pel()).toEqual([]);
    expect(await f.d.xLen(f.dlq)).toBe(0);
  });

  it("marks a success done when the idempotency guard is on", async () => {
    const [id = ""] = await f.pending([{ n: "1" }]);
    await f.age([id], 60_000);
    await f.run({ handler: () => {}, retryBackoff, idempotencyTtlS: 60 });
    expect(await f.d.ttl(`${f.stream}:${GROUP}:done:${id}`)).toBeGreaterThan(0);
  });

  it("acks a page's healthy messages even when its dead-letter move fails", async () => {
    const [spent = "", healthy = ""] = await f.pending([{ n: "spent" }, { n: "healthy" }]);
    await f.failures([spent], 3);
    await f.age([spent, healthy], 60_000);
    const scripts = { evalsha: f.redis.evalsha.bind(f.redis), eval: f.redis.eval.bind(f.redis) };
    const redis = Object.create(f.redis) as SweepRedis;
    // Every script call fails as a lost request would, the move's included.
    redis.evalsha = (() => Promise.reject(new TypeError("fetch failed"))) as typeof scripts.evalsha;
    redis.eval = (() => Promise.reject(new TypeError("fetch failed"))) as typeof scripts.eval;
    const report = await f.run({ handler: () => {}, retryBackoff, redis });
    expect(report.stoppedBy).toBe("error");
    expect((await f.pel()).map(([id]) => id)).toEqual([spent]);
    expect(await f.d.xLen(f.dlq)).toBe(0);
  });

  it("sends the page's ack again when its request fails, and acks the page", async () => {
    const [id = ""] = await f.pending([{ n: "1" }]);
    await f.age([id], 60_000);
    const events: SweepEvent[] = [];
    const report = await f.run({
      handler: () => {},
      retryBackoff,
      redis: failingOnce(f.redis, "xack"),
      onEvent: (e) => events.push(e),
    });
    expect(report).toMatchObject({ acked: 1, stoppedBy: "cycle" });
    expect(report.error).toBeUndefined();
    expect(events.map((e) => e.event)).toContain("ack_retried");
    expect(await f.pel()).toEqual([]);
  });
});

/**
 * The real client, except that the first pipeline holding `command` fails as a lost reply
 * would: it runs on Redis, then its caller sees a network error.
 */
function failingOnce(redis: SweepRedis, command: string): SweepRedis {
  let failed = false;
  return {
    exec: redis.exec.bind(redis),
    evalsha: redis.evalsha.bind(redis),
    eval: redis.eval.bind(redis),
    pipeline: () => {
      const pipe = redis.pipeline();
      const original = pipe.exec.bind(pipe);
      const holds = { value: false };
      const probe = pipe as unknown as Record<string, (...args: unknown[]) => unknown>;
      const queue = probe[command]?.bind(pipe);
      if (queue) {
        probe[command] = (...args: unknown[]) => {
          holds.value = true;
          return queue(...args);
        };
      }
      pipe.exec = (async (...args: Parameters<typeof original>) => {
        const reply = await original(...args);
        if (holds.value && !failed) {
          failed = true;
          throw new TypeError("fetch failed: the reply was lost");
        }
        return reply;
      }) as typeof pipe.exec;
      return pipe;
    },
  } as SweepRedis;
}
