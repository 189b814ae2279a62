/**
 * Regression (found by the soak): a sweep page outlasting MIN_IDLE_MS let a second sweep claim
 * entries the first had already handled successfully but not yet acked; at the last delivery
 * the second sweep dead-lettered them as max_deliveries. The sweep now holds a lease on the
 * entries it is handling, as the drain does. Failed runs are real handler runs (the drain's
 * first one recorded by the fixture), so each test can count them: a dead letter had
 * MAX_DELIVERIES of them, never fewer.
 */
import { describe, expect, it } from "vitest";
import type { MessageHandler } from "../../src/lib/handling/message";
import { listDeadLetters, PermanentError } from "../../src/lib/index";
import { sleep } from "../helpers/sleep";
import { useFixture } from "../helpers/sweep-fixture";

const f = useFixture("sweep-lease");
const MAX_DELIVERIES = 3;

/**
 * `rounds` sweeps, each claiming `ids`, running the handler on them, which fails, and
 * recording the failure; `calls` gets `earlier:<n>` per run.
 */
async function failThroughSweeps(
  ids: string[],
  rounds: number,
  retryBackoff: "fixed" | "exponential",
  calls: string[],
): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    await f.age(ids, 100_000);
    const report = await f.run({
      retryBackoff,
      consumer: `earlier-${r}`,
      handler: (m) => {
        calls.push(`earlier:${m.fields.n}`);
        throw new Error("not yet");
      },
    });
    expect(report).toMatchObject({ claimed: ids.length, failed: ids.length, deadLettered: 0 });
  }
}

/** Handler runs per `n`: the drain's first (recorded by the fixture) plus those in `calls`. */
function runsOf(calls: string[], n: string): number {
  return 1 + calls.filter((c) => c.endsWith(`:${n}`)).length;
}

describe.each(["fixed", "exponential"] as const)("sweep lease (%s backoff)", (retryBackoff) => {
  it("keeps a succeeded entry of a long page from a second sweep until it is acked", async () => {
    const [done = "", slow = ""] = await f.pending([{ n: "quick" }, { n: "slow" }]);
    const calls: string[] = [];
    // Two failed runs so far: this sweep's run is the last one (3 of MAX_DELIVERIES=3).
    await failThroughSweeps([done, slow], 1, retryBackoff, calls);
    await f.age([done, slow], 10_000);
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
    expect(calls.filter((c) => !c.startsWith("earlier:")).sort()).toEqual([
      "sweep-a:quick",
      "sweep-a:slow",
    ]);
    expect([runsOf(calls, "quick"), runsOf(calls, "slow")]).toEqual([3, 3]);
    expect((await listDeadLetters({ redis: f.redis, dlqStream: f.dlq })).entries).toEqual([]);
    expect(await f.pel()).toEqual([]);
  });

  it("keeps a PermanentError entry of a long page from a second sweep until it is moved", async () => {
    const [bad = "", slow = ""] = await f.pending([{ n: "bad" }, { n: "slow" }]);
    await f.age([bad, slow], 10_000);
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
    const [spent = ""] = await f.pending([{ n: "spent" }]);
    const calls: string[] = [];
    // MAX_DELIVERIES failed runs: the drain's, then two sweeps'. No fourth may start.
    await failThroughSweeps([spent], MAX_DELIVERIES - 1, retryBackoff, calls);
    const [slow = ""] = await f.pending([{ n: "slow" }]);
    await f.age([spent, slow], 10_000);
    const handler: MessageHandler = async (m) => {
      calls.push(`${m.consumer}:${m.fields.n}`);
      await sleep(600);
    };
    const options = { handler, minIdleMs: 100, maxBackoffMs: 100, retryBackoff };
    const first = f.run({ ...options, consumer: "sweep-a" });
    await sleep(300);
    const second = await f.run({ ...options, consumer: "sweep-b" });
    expect(second).toMatchObject({ claimed: 0 });
    expect(await first).toMatchObject({ claimed: 2, acked: 1, deadLettered: 1 });
    expect(calls).toEqual(["earlier:spent", "earlier:spent", "sweep-a:slow"]);
    expect(runsOf(calls, "spent")).toBe(MAX_DELIVERIES);
    const dead = (await listDeadLetters({ redis: f.redis, dlqStream: f.dlq })).entries;
    expect(dead.map((e) => [e.originalId, e.reason, e.failures])).toEqual([
      [spent, "max_deliveries", MAX_DELIVERIES],
    ]);
  });
});
