import { describe, expect, it } from "vitest";
import type { StreamMessage } from "../../src/lib/handling/message";
import { runHandler } from "../../src/lib/handling/outcome";
import { RetryLaterError } from "../../src/lib/handling/retry";
import { makeBatch } from "../../src/lib/queues/batch";
import { isQueueConsumer, QueueConsumer } from "../../src/lib/queues/consumer";
import { delayMsOf, InvalidDelayError } from "../../src/lib/queues/delay";

const message = (n: number, fields: Record<string, string> = {}): StreamMessage => ({
  id: `1795739000000-${n}`,
  originalId: `1795739000000-${n}`,
  stream: "jobs",
  group: "g",
  consumer: "c",
  fields: { body: JSON.stringify({ n }), content_type: "json", ...fields },
  pairs: [],
  deliveries: n,
});

type Seen = { queue: string; bodies: unknown[]; attempts: number[] };

/** A consumer over `fn`; `seen` gets every batch it was handed. */
function consumer(
  fn: (batch: import("../../src/lib/queues/batch").QueueBatch) => void | Promise<void>,
  options: { maxBatchSize?: number; maxBatchTimeoutMs?: number; retryDelayMs?: number } = {},
) {
  const seen: Seen[] = [];
  const c = new QueueConsumer({
    queue: "jobs",
    env: {},
    ctx: {},
    maxBatchSize: options.maxBatchSize ?? 10,
    maxBatchTimeoutMs: options.maxBatchTimeoutMs ?? 0,
    retryDelayMs: options.retryDelayMs ?? 0,
    handler: async (batch) => {
      seen.push({
        queue: batch.queue,
        bodies: batch.messages.map((m) => m.body),
        attempts: batch.messages.map((m) => m.attempts),
      });
      await fn(batch);
    },
  });
  return { handle: c.handle, seen };
}

const run = (handle: QueueConsumer<unknown, unknown>["handle"], m: StreamMessage) =>
  runHandler(handle, m, { signal: new AbortController().signal });

describe("QueueConsumer", () => {
  it("hands the messages started together to the consumer as one batch", async () => {
    const { handle, seen } = consumer(() => {});
    await Promise.all([1, 2, 3].map((n) => run(handle, message(n))));
    expect(seen).toEqual([
      { queue: "jobs", bodies: [{ n: 1 }, { n: 2 }, { n: 3 }], attempts: [1, 2, 3] },
    ]);
  });

  it("starts a new batch once one holds maxBatchSize messages", async () => {
    const { handle, seen } = consumer(() => {}, { maxBatchSize: 2 });
    await Promise.all([1, 2, 3].map((n) => run(handle, message(n))));
    expect(seen.map((b) => b.bodies.length)).toEqual([2, 1]);
  });

  it("acks every message when the consumer returns", async () => {
    const { handle } = consumer(() => {});
    expect(await Promise.all([1, 2].map((n) => run(handle, message(n))))).toEqual([
      { ok: true },
      { ok: true },
    ]);
  });

  it("keeps an explicit ack when the consumer throws after it, and retries the rest", async () => {
    const { handle } = consumer(
      (batch) => {
        batch.messages[0]?.ack();
        throw new Error("boom");
      },
      { retryDelayMs: 5000 },
    );
    const [first, second] = await Promise.all([1, 2].map((n) => run(handle, message(n))));
    expect(first).toEqual({ ok: true });
    expect(second).toEqual({ ok: false, permanent: false, error: "boom", retryDelayMs: 5000 });
  });

  it("retries an explicitly retried message when the consumer returns, after its delay", async () => {
    const { handle } = consumer((batch) => {
      batch.messages[1]?.retry({ delaySeconds: 30 });
    });
    const outcomes = await Promise.all([1, 2].map((n) => run(handle, message(n))));
    expect(outcomes).toEqual([
      { ok: true },
      { ok: false, permanent: false, error: "retry() was called", retryDelayMs: 30_000 },
    ]);
  });

  it("lets the first call on a message win: ack then retry stays acked", async () => {
    const { handle } = consumer((batch) => {
      batch.messages[0]?.ack();
      batch.messages[0]?.retry();
      batch.retryAll();
    });
    const [outcome] = await Promise.all([run(handle, message(1))]);
    expect(outcome).toEqual({ ok: true });
  });

  it("applies retryAll to the messages not yet decided only", async () => {
    const { handle } = consumer((batch) => {
      batch.messages[0]?.ack();
      batch.retryAll({ delaySeconds: 2 });
    });
    const outcomes = await Promise.all([1, 2].map((n) => run(handle, message(n))));
    expect(outcomes.map((o) => o.ok)).toEqual([true, false]);
  });

  it("is recognised as a queue consumer, a plain handler is not", () => {
    expect(isQueueConsumer(consumer(() => {}).handle)).toBe(true);
    expect(isQueueConsumer(async () => {})).toBe(false);
  });
});

describe("makeBatch", () => {
  it("gives the JSON body, the text of a text body, the fields of an entry without one", () => {
    const { batch } = makeBatch(
      "jobs",
      [
        message(1),
        { ...message(2), fields: { body: "hi", content_type: "text" } },
        { ...message(3), fields: { order: "7" } },
      ],
      0,
      "body",
    );
    expect(batch.messages.map((m) => m.body)).toEqual([{ n: 1 }, "hi", { order: "7" }]);
  });

  it("dates a message by its id, and names it by its first id after a redrive", () => {
    const redriven = { ...message(1), id: "1795739999999-0", originalId: "1795739000000-1" };
    const { batch } = makeBatch("jobs", [redriven], 0, "body");
    expect(batch.messages[0]?.id).toBe("1795739000000-1");
    expect(batch.messages[0]?.timestamp.getTime()).toBe(1795739000000);
  });
});

describe("delayMsOf", () => {
  it("takes the fallback when no delay is named", () => {
    expect(delayMsOf(undefined, 7000)).toBe(7000);
  });

  it.each([0, 1, 86_400])("takes %i seconds", (s) => {
    expect(delayMsOf(s, 0)).toBe(s * 1000);
  });

  it.each([-1, 1.5, 86_401, "60"])("refuses %j, saying what it must be", (s) => {
    expect(() => delayMsOf(s, 0)).toThrow(InvalidDelayError);
    expect(() => delayMsOf(s, 0)).toThrow(/^delaySeconds must be an integer between 0 and 86400/);
  });
});

describe("a handler's RetryLaterError", () => {
  it("is a failed run with the delay it asked for", async () => {
    const outcome = await runHandler(
      () => {
        throw new RetryLaterError(1500, "later");
      },
      message(1),
      { signal: new AbortController().signal },
    );
    expect(outcome).toEqual({ ok: false, permanent: false, error: "later", retryDelayMs: 1500 });
  });
});
