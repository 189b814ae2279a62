/**
 * Regression (found by the soak): a sweep page outlasting MIN_IDLE_MS let a second sweep claim
 * entries the first had already handled successfully but not yet acked; at the last delivery
 * the second sweep dead-lettered them as max_deliveries. The sweep now holds a lease on the
 * entries it is handling, as the drain does.
 */
import { describe, expect, it } from "vitest";
import type { MessageHandler } from "../../src/lib/handling/message";
import { listDeadLetters, PermanentError } from "../../src/lib/index";
import { sleep } from "../helpers/sleep";
import { useFixture } from "../helpers/sweep-fixture";

const f = useFixture("sweep-lease");

describe.each(["fixed", "exponential"] as const)("sweep lease (%s backoff)", (retryBackoff) => {
  it("keeps a succeeded entry of a long page from a second sweep until it is acked", async () => {
    const [done = "", slow = ""] = await f.pending([{ n: "quick" }, { n: "slow" }]);
    // Two failed runs so far: this sweep's claim is the last delivery (3 of MAX_DELIVERIES=3).
    await f.age([done, slow], 10_000, 2);
    const calls: string[] = [];
    const handler: MessageHandler = async (m) => {
      calls.push(`${m.consumer}:${m.fields.n}`);
      if (m.fields.n === "slow") {
        await sleep(600);
      }
    };
    const first = f.run({
      handler,
      minIdleMs: 100,
      maxBackoffMs: 100,
      retryBackoff,
      consumer: "sweep-a",
    });
    await sleep(300);
    const second = await f.run({
      handler,
      minIdleMs: 100,
      maxBackoffMs: 100,
      retryBackoff,
      consumer: "sweep-b",
    });
    const report = await first;
    expect(second).toMatchObject({ claimed: 0, deadLettered: 0 });
    expect(report).toMatchObject({ claimed: 2, acked: 2, deadLettered: 0 });
    expect(calls.sort()).toEqual(["sweep-a:quick", "sweep-a:slow"]);
    expect((await listDeadLetters({ redis: f.redis, dlqStream: f.dlq })).entries).toEqual([]);
    expect(await f.pel()).toEqual([]);
  });

  it("keeps a PermanentError entry of a long page from a second sweep until it is moved", async () => {
    const [bad = "", slow = ""] = await f.pending([{ n: "bad" }, { n: "slow" }]);
    await f.age([bad, slow], 10_000, 1);
    const calls: string[] = [];
    const handler: MessageHandler = async (m) => {
      calls.push(`${m.consumer}:${m.fields.n}`);
      if (m.fields.n === "bad") {
        throw new PermanentError("bad order");
      }
      await sleep(600);
    };
    const options = { handler, minIdleMs: 100, maxBackoffMs: 100, retryBackoff };
    const first = f.run({ ...options, consumer: "sweep-a" });
    await sleep(300);
    const second = await f.run({ ...options, consumer: "sweep-b" });
    const report = await first;
    expect(second).toMatchObject({ claimed: 0 });
    expect(report).toMatchObject({ claimed: 2, acked: 1, deadLettered: 1 });
    expect(calls.sort()).toEqual(["sweep-a:bad", "sweep-a:slow"]);
    const dead = (await listDeadLetters({ redis: f.redis, dlqStream: f.dlq })).entries;
    expect(dead.map((e) => [e.originalId, e.reason])).toEqual([[bad, "permanent_error"]]);
  });

  it("keeps an exhausted entry of a long page from a second sweep until it is moved", async () => {
    const [spent = "", slow = ""] = await f.pending([{ n: "spent" }, { n: "slow" }]);
    await f.age([spent], 10_000, 3);
    await f.age([slow], 10_000, 1);
    const handler: MessageHandler = () => sleep(600);
    const options = { handler, minIdleMs: 100, maxBackoffMs: 100, retryBackoff };
    const first = f.run({ ...options, consumer: "sweep-a" });
    await sleep(300);
    const second = await f.run({ ...options, consumer: "sweep-b" });
    expect(second).toMatchObject({ claimed: 0 });
    expect(await first).toMatchObject({ claimed: 2, acked: 1, deadLettered: 1 });
    const dead = (await listDeadLetters({ redis: f.redis, dlqStream: f.dlq })).entries;
    expect(dead.map((e) => [e.originalId, e.reason])).toEqual([[spent, "max_deliveries"]]);
  });
});
